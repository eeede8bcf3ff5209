import assert from 'node:assert/strict';
import { askOptuna, candidateProposal, toParams, type OptunaRequest } from '../../src/proposers/optuna.js';
import { proposerConfigError } from '../../src/proposers/proposerConfig.js';
import { applyEdits } from '../../src/recipe/edits.js';
import type { Knob } from '../../src/task/spec.js';
import type { ProposerConfig } from '../../src/types.js';

const knobs: Knob[] = [
  { name: 'LR', specialist: 'opt', file: 'train.py', type: 'float', min: 0.001, max: 1, factor: 2 },
  { name: 'DEPTH', specialist: 'opt', file: 'train.py', type: 'int', min: 1, max: 16, step: 1 },
  { name: 'NORM', specialist: 'opt', file: 'train.py', type: 'bool' },
];
const files = new Map([['train.py', 'LR = 0.01  # learning rate\nDEPTH = 3\nNORM = False\nWIDTH = 64\n']]);
const request = (over: Partial<OptunaRequest> = {}): OptunaRequest => ({
  sampler: 'tpe',
  seed: 7,
  direction: 'minimize',
  knobs,
  trials: [
    { params: { LR: 0.01, DEPTH: 3, NORM: false }, value: 1.5 },
    { params: { LR: 0.02, DEPTH: 4, NORM: true }, value: 1.2 },
    { params: { LR: 0.5, DEPTH: 16, NORM: true }, value: null },
  ],
  running: [{ params: { LR: 0.04, DEPTH: 5, NORM: true } }],
  current: { LR: 0.02, DEPTH: 4, NORM: true },
  count: 4,
  ...over,
});

describe('optuna proposer', function () {
  this.timeout(120_000);

  it('asks candidates within the knobs declared ranges, the same ones for the same request', async () => {
    for (const sampler of ['tpe', 'cmaes'] as const) {
      const a = await askOptuna(request({ sampler }));
      assert.equal(a.length, 4);
      for (const c of a) {
        assert.ok((c.LR as number) >= 0.001 && (c.LR as number) <= 1, `LR ${c.LR}`);
        assert.ok(Number.isInteger(c.DEPTH) && (c.DEPTH as number) >= 1 && (c.DEPTH as number) <= 16);
        assert.equal(typeof c.NORM, 'boolean');
      }
      assert.deepEqual(await askOptuna(request({ sampler })), a, `${sampler} is deterministic`);
      assert.notDeepEqual(await askOptuna(request({ sampler, seed: 8 })), a, `${sampler} depends on the seed`);
    }
  });

  it('widens a range to hold a value the campaign already tried, instead of failing', async () => {
    const off = await askOptuna(request({ trials: [{ params: { LR: 2.5, DEPTH: 3, NORM: false }, value: 1 }] }));
    assert.equal(off.length, 4);
  });

  it('turns a candidate into one exact line edit per knob it moves', () => {
    const p = candidateProposal('opt', knobs, files, { LR: 0.0123456, DEPTH: 5, NORM: false }, 'optuna-tpe')!;
    assert.equal(p.edits.length, 2, 'NORM is unchanged, so it gets no edit');
    assert.equal(p.hypothesis, 'optuna-tpe: set LR 0.01 → 0.01235, DEPTH 3 → 5');
    assert.equal(applyEdits(files, p.edits).get('train.py'), 'LR = 0.01235  # learning rate\nDEPTH = 5\nNORM = False\nWIDTH = 64\n');
    assert.equal(candidateProposal('opt', knobs, files, { LR: 0.01, DEPTH: 3, NORM: false }, 'optuna-tpe'), null);
  });

  it('reads recipe values as numbers and booleans, skipping what is neither', () => {
    assert.deepEqual(toParams({ LR: '3e-4', DEPTH: '3', NORM: 'True' }, knobs), { LR: 3e-4, DEPTH: 3, NORM: true });
    assert.deepEqual(toParams({ LR: 'lr_schedule()', NORM: 'maybe' }, knobs), {});
  });

  it('checks the proposer field of a campaign, naming the field', () => {
    const err = (p: unknown) => proposerConfigError(p as ProposerConfig);
    assert.equal(err({ kind: 'optuna' }), null);
    assert.equal(err({ kind: 'optuna', sampler: 'cmaes' }), null);
    assert.match(err({ kind: 'optuna', sampler: 'random' })!, /^proposer\.sampler: tpe \(default\) or cmaes/);
    assert.match(err({ kind: 'bayes' })!, /^proposer\.kind: one of offline, optuna, replay, claude/);
    assert.equal(err({ kind: 'claude', optimizer: { kind: 'optuna' } }), null);
    assert.match(err({ kind: 'claude', optimizer: { kind: 'hyperopt' } })!, /^proposer\.optimizer\.kind: optuna/);
    assert.match(err({ kind: 'claude', lineage: false, optimizer: { kind: 'optuna' } })!, /^proposer\.optimizer: .*needs lineage/);
  });
});
