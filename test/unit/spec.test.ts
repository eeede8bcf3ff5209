import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseTaskSpec, expandCommand, loadTask, tasksRoot } from '../../src/task/spec.js';
import { readKnob } from '../../src/proposers/offline.js';
import { TOY_TASK } from '../support/harness.js';

const toy = readFileSync(path.join(TOY_TASK, 'task.yaml'), 'utf8');

describe('task spec', () => {
  it('accepts the fixture task and fills defaults', () => {
    const spec = parseTaskSpec(toy, 'task.yaml');
    assert.equal(spec.metric.direction, 'minimize');
    assert.equal(spec.recipe, 'recipe');
  });
  it('names the field and the rule of each error', () => {
    assert.throws(() => parseTaskSpec(toy.replace('direction: minimize', 'direction: lower'), 't.yaml'), /metric\.direction: Invalid option/);
    assert.throws(() => parseTaskSpec(toy.replace('budget_s: 4', 'budget_s: -4'), 't.yaml'), /train\.budget_s: /);
    assert.throws(() => parseTaskSpec(toy.replace('specialist: opt, file', 'specialist: nobody, file'), 't.yaml'), /knobs\.0\.specialist: "nobody" is not in specialists/);
    assert.throws(() => parseTaskSpec(toy.replace(', step: 0.5', ''), 't.yaml'), /knobs\.0: int and float knobs need step or factor/);
    assert.throws(() => parseTaskSpec('name: [unclosed', 't.yaml'), /not YAML/);
    assert.throws(() => parseTaskSpec(toy, 't.yaml', 'tpu'), /"tpu" is not one of/);
  });
  it('expands command placeholders and refuses ones a stage lacks', () => {
    assert.deepEqual(expandCommand(['{python}', '{evaluator}/e.py'], { python: 'py', root: '/r', evaluator: '/e', data: '/d' }), ['py', '/e/e.py']);
    assert.throws(() => expandCommand(['{checkout}'], { python: 'py', root: '/r', evaluator: '/e', data: '/d' }), /uses \{checkout\}/);
  });
});

describe('shipped tasks', () => {
  for (const name of readdirSync(tasksRoot())) {
    it(`${name} loads with every preset and its knobs are found in the recipe`, () => {
      const cpu = loadTask(name);
      for (const preset of Object.keys(cpu.spec.presets)) loadTask(name, preset);
      for (const k of cpu.spec.knobs) {
        const source = readFileSync(path.join(cpu.recipeDir, k.file), 'utf8');
        assert.ok(readKnob(source, k.name), `knob ${k.name} has a NAME = value line in ${k.file}`);
      }
    });
  }
});
