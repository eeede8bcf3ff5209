import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseTaskSpec, expandCommand, loadTask, tasksRoot } from '../../src/task/spec.js';
import { readKnob } from '../../src/proposers/knobLines.js';
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
    assert.throws(
      () => parseTaskSpec(toy.replace('specialist: opt, file', 'specialist: nobody, file'), 't.yaml'),
      /knobs\.0\.specialist: "nobody" is not in specialists/,
    );
    assert.throws(() => parseTaskSpec(toy.replace(', step: 0.5', ''), 't.yaml'), /knobs\.0: int and float knobs need step or factor/);
    assert.throws(() => parseTaskSpec('name: [unclosed', 't.yaml'), /not YAML/);
    assert.throws(() => parseTaskSpec(toy, 't.yaml', 'tpu'), /"tpu" is not one of/);
  });
  it('names the field and the rule of each error in a recipe or data taken from the environment', () => {
    const upstream = (recipe: string, extra = '') => toy.replace('train: {', `recipe: ${recipe}\n${extra}train: {`);
    const ok = '{ from_env: MY_CHECKOUT, files: ["train.py"], hint: "your clone" }';
    assert.equal(typeof parseTaskSpec(upstream(ok), 't.yaml').recipe, 'object');
    assert.throws(
      () => parseTaskSpec(upstream('{ from_env: my_checkout, files: ["train.py"], hint: "h" }'), 't.yaml'),
      /recipe\.from_env: an environment variable name \(A-Z, 0-9, _\)/,
    );
    assert.throws(
      () => parseTaskSpec(upstream('{ from_env: MY_CHECKOUT, files: [], hint: "h" }'), 't.yaml'),
      /recipe\.files: list the recipe files to copy from the checkout/,
    );
    assert.throws(
      () => parseTaskSpec(upstream('{ from_env: MY_CHECKOUT, files: ["../x.py"], hint: "h" }'), 't.yaml'),
      /recipe\.files\.0: a path inside the folder/,
    );
    assert.throws(
      () => parseTaskSpec(upstream('{ from_env: MY_CHECKOUT, files: ["train.py"] }'), 't.yaml'),
      /recipe\.hint: Invalid input: expected string, received undefined/,
    );
    assert.throws(() => parseTaskSpec(upstream('42'), 't.yaml'), /recipe: Invalid input: expected string, received number, or Invalid input: expected object/);
    assert.throws(
      () => parseTaskSpec(upstream(ok, 'data: { from_env: MY_DATA, hint: "h" }\nprepare: { command: ["true"] }\n'), 't.yaml'),
      /prepare: a task whose data comes from data\.from_env prepares nothing/,
    );
    assert.throws(
      () => parseTaskSpec(toy.replace('"{python}", "train.py"', '"{recipe_src}/python", "train.py"'), 't.yaml'),
      /train\.command: \{recipe_src\} needs recipe\.from_env/,
    );
  });
  it('runs one train per seed only for trusted scoring (train.seeds)', () => {
    assert.equal(parseTaskSpec(toy, 'task.yaml').train.seeds, 1);
    assert.throws(() => parseTaskSpec(toy.replace('budget_s: 4,', 'budget_s: 4, seeds: 3,'), 't.yaml'), /train\.seeds: several seeds need trusted scoring/);
    assert.throws(() => parseTaskSpec(toy.replace('budget_s: 4,', 'budget_s: 4, seeds: 0,'), 't.yaml'), /train\.seeds: /);
    const bench = loadTask('bench-mini');
    assert.equal(bench.spec.train.seeds, 3);
    assert.equal(loadTask('bench-mini', 'gpu').spec.train.seeds, 3, 'a preset keeps the seeds');
    assert.ok(bench.spec.evaluate.scorer && bench.spec.evaluate.runner, 'bench-mini is scored the trusted way');
    assert.ok(loadTask('chat-mini').spec.evaluate.scorer, 'chat-mini is scored the trusted way');
  });
  it('expands command placeholders and refuses ones a stage lacks', () => {
    assert.deepEqual(expandCommand(['{python}', '{evaluator}/e.py'], { python: 'py', root: '/r', evaluator: '/e', data: '/d' }), ['py', '/e/e.py']);
    assert.throws(() => expandCommand(['{checkout}'], { python: 'py', root: '/r', evaluator: '/e', data: '/d' }), /uses \{checkout\}/);
  });
});

describe('shipped tasks', () => {
  // Tasks on a user's checkout (recipe.from_env) are loaded in upstreamTasks.test.ts.
  const local = readdirSync(tasksRoot()).filter((name) => {
    const file = path.join(tasksRoot(), name, 'task.yaml');
    return typeof parseTaskSpec(readFileSync(file, 'utf8'), file).recipe === 'string';
  });
  it('include the three mini tasks', () =>
    ['bench-mini', 'chat-mini', 'golf-mini'].forEach((t) => assert.ok(local.includes(t), `${t} in ${local.join(', ')}`)));
  for (const name of local) {
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
