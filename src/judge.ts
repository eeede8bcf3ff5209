// Legality and keep/discard. The order of checks is the order in which a trial can fail.
import type { EvaluateResult, Label, TrainResult, Verdict } from './types.js';

export interface JudgeInput {
  train: TrainResult;
  evaluate: EvaluateResult;
  direction: 'minimize' | 'maximize';
  minDelta: number;
  /** The campaign's best score when judged; null for the baseline trial. */
  best: number | null;
  trainBudgetS: number;
  evalBudgetS: number;
}

function lastLines(text: string, n = 12): string {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}

function failed(label: Label, reason: string, best: number | null, score: number | null = null): Verdict {
  return { label, score, keep: false, reason, rule: 'legality', bestBefore: best };
}

export function judge(j: JudgeInput): Verdict {
  const { train, evaluate, best } = j;
  if (train.memoryExceeded) return failed('crash', `out of memory: ${lastLines(train.logTail, 3)}`, best);
  if (train.overBudget) return failed('train_budget_overrun', `training took ${train.wallS.toFixed(1)} s, budget ${j.trainBudgetS} s`, best);
  if (train.exitCode !== 0) return failed('crash', `train exited ${train.exitCode ?? train.signal}:\n${lastLines(train.logTail)}`, best);
  if (evaluate.overBudget) return failed('eval_budget_overrun', `evaluation took ${evaluate.wallS.toFixed(1)} s, budget ${j.evalBudgetS} s`, best);
  const report = evaluate.report;
  if (!report) {
    const why = evaluate.parseError ?? `evaluator exited ${evaluate.exitCode ?? evaluate.signal}`;
    return failed('crash', `${why}:\n${lastLines(evaluate.logTail)}`, best);
  }
  if (report.label && report.label !== 'keep' && report.label !== 'discard') {
    return failed(report.label, report.reason, best, report.metric);
  }
  const score = report.metric;
  if (score === null || !Number.isFinite(score)) return failed('diverged', `metric is ${score}: ${report.reason}`, best);

  const rule = `${j.direction} by more than ${j.minDelta}`;
  if (best === null) return { label: 'keep', score, keep: true, reason: 'baseline', rule, bestBefore: null };
  const gain = j.direction === 'minimize' ? best - score : score - best;
  const keep = gain > j.minDelta;
  const reason = `${keep ? 'improves' : 'does not improve'} on best ${best} by ${gain.toPrecision(4)} (needs > ${j.minDelta})`;
  return { label: keep ? 'keep' : 'discard', score, keep, reason, rule, bestBefore: best };
}
