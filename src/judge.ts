// Legality and keep/discard. The order of checks is the order in which a trial can fail.
// With repeats, every run must be legal; the score is the median, and a keep needs a margin
// beyond the noise measured on the baseline's repeats.
import type { EvaluateResult, Label, TrainResult, Verdict } from './types.js';
import { gainOver, type Direction } from './metric.js';

export interface KeepRule {
  minDelta: number;
  noiseSigmas: number;
}

export interface JudgeInput {
  runs: { train: TrainResult; evaluate: EvaluateResult }[];
  direction: Direction;
  rule: KeepRule;
  /** The campaign's best score when judged; null for the baseline trial. */
  best: number | null;
  /** Standard deviation of the baseline's repeats, when it had several. */
  baselineSpread: number | null;
  trainBudgetS: number;
  evalBudgetS: number;
  /** The task's size cap: checked against the bytes the harness counted (trusted scoring). */
  sizeCapBytes?: number | null;
  /** Scores outside this range are suspect: held for review, never kept. */
  plausible?: { min?: number; max?: number } | null;
}

function lastLines(text: string, n = 12): string {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function sampleSd(xs: number[]): number | null {
  if (xs.length < 2) return null;
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1));
}

type RunCheck = { label: Label; reason: string; score: number | null } | { score: number };

function checkRun(train: TrainResult, evaluate: EvaluateResult, j: JudgeInput): RunCheck {
  if (train.memoryExceeded) return { label: 'crash', reason: `out of memory: ${lastLines(train.logTail, 3)}`, score: null };
  if (train.overBudget) return { label: 'train_budget_overrun', reason: `training took ${train.wallS.toFixed(1)} s, budget ${j.trainBudgetS} s`, score: null };
  if (train.exitCode !== 0) return { label: 'crash', reason: `train exited ${train.exitCode ?? train.signal}:\n${lastLines(train.logTail)}`, score: null };
  if (evaluate.overBudget)
    return { label: 'eval_budget_overrun', reason: `evaluation took ${evaluate.wallS.toFixed(1)} s, budget ${j.evalBudgetS} s`, score: null };
  // A report counts only from an evaluation that ended cleanly, in time and within its memory.
  if (evaluate.memoryExceeded) return { label: 'crash', reason: `evaluation ran out of memory:\n${lastLines(evaluate.logTail, 3)}`, score: null };
  const report = evaluate.report;
  if (!report || evaluate.exitCode !== 0) {
    const why = evaluate.exitCode !== 0 ? `evaluator exited ${evaluate.exitCode ?? evaluate.signal}` : (evaluate.parseError ?? 'no report');
    return { label: 'crash', reason: `${why}:\n${lastLines(evaluate.logTail)}`, score: null };
  }
  if (report.label && report.label !== 'keep' && report.label !== 'discard') return { label: report.label, reason: report.reason, score: report.metric };
  if (report.metric === null || !Number.isFinite(report.metric))
    return { label: 'diverged', reason: `metric is ${report.metric}: ${report.reason}`, score: null };
  if (j.sizeCapBytes && evaluate.readableBytes !== undefined && evaluate.readableBytes > j.sizeCapBytes) {
    return {
      label: 'size_blocked',
      reason: `the model runner could read ${evaluate.readableBytes} bytes (checkout and train outputs) > cap ${j.sizeCapBytes}`,
      score: report.metric,
    };
  }
  const { min, max } = j.plausible ?? {};
  if ((min !== undefined && report.metric < min) || (max !== undefined && report.metric > max)) {
    return {
      label: 'suspect',
      reason: `score ${report.metric} is outside this task's plausible range [${min ?? '-inf'}, ${max ?? 'inf'}]: held for review, not kept (${report.reason})`,
      score: report.metric,
    };
  }
  return { score: report.metric };
}

export function judge(j: JudgeInput): Verdict {
  const { best } = j;
  const scores: number[] = [];
  for (const [i, run] of j.runs.entries()) {
    const c = checkRun(run.train, run.evaluate, j);
    if ('label' in c) {
      const which = j.runs.length > 1 ? ` (run ${i + 1} of ${j.runs.length})` : '';
      return {
        label: c.label,
        score: c.score,
        keep: false,
        reason: c.reason + which,
        rule: 'legality',
        bestBefore: best,
        repeats: j.runs.length,
        spread: null,
      };
    }
    scores.push(c.score);
  }
  const score = median(scores);
  const spread = sampleSd(scores);
  const noise = j.rule.noiseSigmas * (j.baselineSpread ?? 0);
  const margin = Math.max(j.rule.minDelta, noise);
  const of = scores.length > 1 ? `median of ${scores.length} runs, ` : '';
  const rule = `${of}${j.direction} by more than ${margin.toPrecision(4)} (min_delta ${j.rule.minDelta}${j.rule.noiseSigmas ? `, ${j.rule.noiseSigmas}σ of baseline spread ${(j.baselineSpread ?? 0).toPrecision(3)}` : ''})`;
  const common = { score, rule, bestBefore: best, repeats: scores.length, spread, runScores: scores };
  if (best === null) return { ...common, label: 'keep', keep: true, reason: 'baseline' };
  const gain = gainOver(j.direction, score, best);
  const keep = gain > margin;
  const reason = `${keep ? 'improves' : 'does not improve'} on best ${best} by ${gain.toPrecision(4)} (needs > ${margin.toPrecision(4)})`;
  return { ...common, label: keep ? 'keep' : 'discard', keep, reason };
}
