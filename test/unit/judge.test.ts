import assert from 'node:assert/strict';
import { judge, type JudgeInput } from '../../src/judge.js';
import type { EvaluateResult, TrainResult } from '../../src/types.js';

const run = { exitCode: 0, signal: null, timedOut: false, overBudget: false, memoryExceeded: false, wallS: 1, logTail: '' };
const train: TrainResult = { ...run, slotQueue: 'q', host: 'h', slot: 's', attempt: 1 };
const evaluation = (metric: number | null, label: EvaluateResult['report'] extends infer R ? (R extends { label: infer L } ? L : never) : never = null): EvaluateResult => ({
  ...run,
  report: { metric, metrics: {}, label, reason: 'r' },
});
const base: JudgeInput = { train, evaluate: evaluation(1.0), direction: 'minimize', minDelta: 0.01, best: 1.1, trainBudgetS: 10, evalBudgetS: 10 };

describe('judge', () => {
  it('keeps only an improvement beyond the margin, in the metric direction', () => {
    assert.equal(judge(base).label, 'keep');
    assert.equal(judge({ ...base, evaluate: evaluation(1.095) }).label, 'discard');
    assert.equal(judge({ ...base, direction: 'maximize' }).label, 'discard');
    assert.equal(judge({ ...base, direction: 'maximize', evaluate: evaluation(1.2) }).label, 'keep');
  });
  it('labels each way a trial fails, in order', () => {
    assert.equal(judge({ ...base, train: { ...train, memoryExceeded: true, exitCode: null } }).label, 'crash');
    assert.equal(judge({ ...base, train: { ...train, overBudget: true, wallS: 12 } }).label, 'train_budget_overrun');
    assert.equal(judge({ ...base, train: { ...train, exitCode: 1 } }).label, 'crash');
    assert.equal(judge({ ...base, evaluate: { ...evaluation(1), overBudget: true } }).label, 'eval_budget_overrun');
    assert.equal(judge({ ...base, evaluate: evaluation(1, 'size_blocked') }).label, 'size_blocked');
    assert.equal(judge({ ...base, evaluate: evaluation(1, 'gate_miss') }).label, 'gate_miss');
    assert.equal(judge({ ...base, evaluate: evaluation(Number.NaN) }).label, 'diverged');
    assert.equal(judge({ ...base, evaluate: { ...run, report: null, parseError: 'no JSON' } }).label, 'crash');
  });
  it('records the rule and the best it judged against', () => {
    const v = judge(base);
    assert.equal(v.rule, 'minimize by more than 0.01');
    assert.equal(v.bestBefore, 1.1);
    assert.equal(judge({ ...base, best: null }).reason, 'baseline');
  });
});
