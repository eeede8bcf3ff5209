import assert from 'node:assert/strict';
import { askOptuna, candidateProposal, toParams, type OptunaRequest } from '../../src/proposers/optuna.js';
import { proposerConfigError } from '../../src/campaignInput.js';
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
    { params: { LR: 0.01, DEPTH: 3, NORM: false }, value: 1.5, kept: true },
    { params: { LR: 0.02, DEPTH: 4, NORM: true }, value: 1.2, kept: true },
    { params: { LR: 0.5, DEPTH: 16, NORM: true }, value: null, kept: false },
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
      // The seed drives the draws before the model has data (past that, TPE takes its model's best
      // points, which need not depend on the seed).
      const first = (seed: number) => askOptuna(request({ sampler, seed, trials: [], running: [] }));
      assert.notDeepEqual(await first(8), await first(7), `${sampler} depends on the seed`);
    }
  });

  it('asks within two steps of the recipe it edits, leaving out what the campaign tried outside that region', async () => {
    // current LR 0.02 (factor 2), DEPTH 4 (step 1): two steps reach LR 0.005..0.08, DEPTH 2..6.
    const inRegion = (c: Record<string, unknown>, steps: number) =>
      Math.abs(Math.log2((c.LR as number) / 0.02)) <= steps + 1e-9 && Math.abs((c.DEPTH as number) - 4) <= steps;
    const near = await askOptuna(request({ count: 12, trials: [...request().trials, { params: { LR: 2.5, DEPTH: 3, NORM: false }, value: 1, kept: false }] }));
    assert.equal(near.length, 12);
    for (const c of near) assert.ok(inRegion(c, 2), `LR ${c.LR} DEPTH ${c.DEPTH}`);
    // Six trials in a row not kept: the region is a step wider, and the optimizer uses the reach.
    const stuck = Array.from({ length: 6 }, (_, i) => ({ params: { LR: 0.02, DEPTH: 4 + (i % 3) - 1, NORM: i % 2 === 0 }, value: 1.3 + i / 100, kept: false }));
    const wide = await askOptuna(request({ count: 12, trials: [...request().trials, ...stuck] }));
    for (const c of wide) assert.ok(inRegion(c, 3), `LR ${c.LR} DEPTH ${c.DEPTH}`);
    assert.ok(
      wide.some((c) => !inRegion(c, 2)),
      'some candidate is three steps away',
    );
  });

  it('moves a factor knob whose range starts at 0 (log steps never reach it; the value is clamped to it)', async () => {
    const wd: Knob = { name: 'WEIGHT_DECAY', specialist: 'opt', file: 'train.py', type: 'float', min: 0, max: 0.005, factor: 2 };
    const a = await askOptuna({
      ...request(),
      knobs: [wd],
      trials: [{ params: { WEIGHT_DECAY: 0.001 }, value: 1, kept: true }],
      running: [],
      current: { WEIGHT_DECAY: 0.001 },
    });
    assert.equal(a.length, 4);
    for (const c of a)
      assert.ok((c.WEIGHT_DECAY as number) >= 0.00025 - 1e-12 && (c.WEIGHT_DECAY as number) <= 0.004 + 1e-12, `WEIGHT_DECAY ${c.WEIGHT_DECAY}`);
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
