import assert from 'node:assert/strict';
import { judge, median, sampleSd, type JudgeInput } from '../../src/judge.js';
import type { EvaluateResult, Label, TrainResult } from '../../src/types.js';

const ok = { exitCode: 0, signal: null, timedOut: false, overBudget: false, memoryExceeded: false, wallS: 1, logTail: '' };
const train: TrainResult = { ...ok, slotQueue: 'q', host: 'h', slot: 's', attempt: 1 };
const evaluation = (metric: number | null, label: Label | null = null): EvaluateResult => ({ ...ok, report: { metric, metrics: {}, label, reason: 'r' } });
const one = (metric: number | null, label: Label | null = null) => [{ train, evaluate: evaluation(metric, label) }];
const base: JudgeInput = {
  runs: one(1.0),
  direction: 'minimize',
  rule: { minDelta: 0.01, noiseSigmas: 0 },
  best: 1.1,
  baselineSpread: null,
  trainBudgetS: 10,
  evalBudgetS: 10,
};

describe('judge', () => {
  it('keeps only an improvement beyond the margin, in the metric direction', () => {
    assert.equal(judge(base).label, 'keep');
    assert.equal(judge({ ...base, runs: one(1.095) }).label, 'discard');
    assert.equal(judge({ ...base, direction: 'maximize' }).label, 'discard');
    assert.equal(judge({ ...base, direction: 'maximize', runs: one(1.2) }).label, 'keep');
  });
  it('labels each way a trial fails, in order', () => {
    const run = (t: Partial<TrainResult>, e: EvaluateResult = evaluation(1)) => judge({ ...base, runs: [{ train: { ...train, ...t }, evaluate: e }] }).label;
    assert.equal(run({ memoryExceeded: true, exitCode: null }), 'crash');
    assert.equal(run({ overBudget: true, wallS: 12 }), 'train_budget_overrun');
    assert.equal(run({ exitCode: 1 }), 'crash');
    assert.equal(run({}, { ...evaluation(1), overBudget: true }), 'eval_budget_overrun');
    assert.equal(run({}, evaluation(1, 'size_blocked')), 'size_blocked');
    assert.equal(run({}, evaluation(1, 'gate_miss')), 'gate_miss');
    assert.equal(run({}, evaluation(Number.NaN)), 'diverged');
    assert.equal(run({}, { ...ok, report: null, parseError: 'no JSON' }), 'crash');
  });
  it('takes a report only from an evaluation that exited cleanly and within its memory', () => {
    const run = (e: Partial<EvaluateResult>) => judge({ ...base, runs: [{ train, evaluate: { ...evaluation(0.5), ...e } }] });
    assert.equal(run({}).label, 'keep', 'control: the same report from a clean exit is kept');
    assert.equal(run({ exitCode: 1 }).label, 'crash');
    assert.match(run({ exitCode: null, signal: 'SIGKILL' }).reason, /evaluator exited SIGKILL/);
    const oom = run({ memoryExceeded: true });
    assert.equal(oom.label, 'crash');
    assert.match(oom.reason, /out of memory/);
  });
  it("blocks a trusted evaluation whose runner could read more bytes than the cap, by the harness's count", () => {
    const run = (readableBytes: number) => judge({ ...base, sizeCapBytes: 1000, runs: [{ train, evaluate: { ...evaluation(0.5), readableBytes } }] });
    assert.equal(run(1000).label, 'keep');
    const blocked = run(1001);
    assert.equal(blocked.label, 'size_blocked');
    assert.equal(blocked.score, 0.5, 'the score is kept for the record');
  });
  it('labels a score outside the plausible range suspect, never keep', () => {
    const run = (metric: number) => judge({ ...base, plausible: { min: 0.2, max: 2 }, runs: one(metric) });
    assert.equal(run(0.5).label, 'keep');
    const low = run(0.1);
    assert.equal(low.label, 'suspect');
    assert.equal(low.keep, false);
    assert.match(low.reason, /outside this task's plausible range \[0\.2, 2\]/);
    assert.equal(run(3).label, 'suspect');
  });
  it("records every run's score: repeats, then confirm runs", () => {
    const runs = [0.9, 1.0, 0.95].map((m) => ({ train, evaluate: evaluation(m) }));
    const v = judge({ ...base, runs });
    assert.deepEqual(v.runScores, [0.9, 1.0, 0.95]);
    assert.equal(v.score, 0.95);
  });
  it('records the rule and the best it judged against', () => {
    const v = judge(base);
    assert.match(v.rule, /^minimize by more than 0\.01/);
    assert.equal(v.bestBefore, 1.1);
    assert.equal(judge({ ...base, best: null }).reason, 'baseline');
  });
  it('scores repeats by their median and fails the trial if any run is illegal', () => {
    const runs = [0.9, 1.5, 1.0].map((m) => ({ train, evaluate: evaluation(m) }));
    const v = judge({ ...base, runs });
    assert.equal(v.score, 1.0);
    assert.equal(v.repeats, 3);
    assert.ok(Math.abs(v.spread! - sampleSd([0.9, 1.5, 1.0])!) < 1e-12);
    assert.match(v.rule, /median of 3 runs/);
    const bad = judge({ ...base, runs: [...runs, { train, evaluate: evaluation(1, 'gate_miss') }] });
    assert.equal(bad.label, 'gate_miss');
    assert.match(bad.reason, /run 4 of 4/);
  });
  it('needs a gain beyond the noise measured on the baseline', () => {
    // 1.0 beats 1.1 by 0.1: kept with no noise rule, discarded when 2σ of a 0.06 spread is 0.12.
    assert.equal(judge({ ...base, rule: { minDelta: 0.01, noiseSigmas: 2 }, baselineSpread: 0.06 }).label, 'discard');
    assert.equal(judge({ ...base, rule: { minDelta: 0.01, noiseSigmas: 2 }, baselineSpread: 0.04 }).label, 'keep');
  });
  it('median and spread', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 2, 3]), 2.5);
    assert.equal(sampleSd([1]), null);
    assert.equal(sampleSd([1, 3]), Math.SQRT2);
  });
});
