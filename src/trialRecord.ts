// A trial's record and the outcome it hands the campaign, assembled from what its stages returned.
// Pure: the trial workflow calls it.
import type { EvaluateResult, Proposal, StageTiming, TrainResult, TrialInput, TrialOutcome, TrialRebase, TrialRecord, Usage, Verdict } from './types.js';
import { isBaseline } from './ids.js';

interface TrialParts {
  trialId: string;
  input: TrialInput;
  /** The recipe version it trained on (after rebases), and its rebases. */
  parentSha: string;
  rebases: TrialRebase[];
  sha: string | null;
  diff: string | null;
  proposal: Proposal | null;
  verdict: Verdict;
  runs: { train: TrainResult; evaluate: EvaluateResult }[];
  stages: StageTiming[];
  usage: Usage;
  finishedAt: string;
}

export function trialRecord(t: TrialParts): TrialRecord {
  const { input, verdict } = t;
  const last = t.runs.at(-1);
  return {
    trialId: t.trialId,
    campaignId: input.campaignId,
    task: input.task,
    index: input.index,
    specialist: input.specialist,
    parentSha: t.parentSha,
    proposedOnSha: input.parentSha,
    rebases: t.rebases,
    secondParentSha: t.proposal?.portedFrom?.sha ?? null,
    sha: t.sha,
    hypothesis: isBaseline(input) ? 'baseline recipe' : (t.proposal?.hypothesis ?? ''),
    proposal: t.proposal,
    diff: t.diff,
    label: verdict.label,
    score: verdict.score,
    keep: verdict.keep,
    reason: verdict.reason,
    rule: verdict.rule,
    spread: verdict.spread,
    runScores: verdict.runScores,
    scoring: last?.evaluate.scoring ?? null,
    metrics: last?.evaluate.report?.metrics ?? {},
    stages: t.stages,
    usage: t.usage,
    train: last?.train ?? null,
    logExcerpt: (last?.train.logTail ?? '').slice(-4000),
    startedAt: input.startedAt,
    finishedAt: t.finishedAt,
  };
}

/** Seconds of slot time the trial used: its train and evaluate runs. */
export function slotSeconds(stages: StageTiming[]): number {
  return stages.filter((s) => s.stage === 'train' || s.stage === 'evaluate').reduce((a, s) => a + s.seconds, 0);
}

/** Usage summed over a trial's proposals (a trial proposed again after a conflicting rebase pays for both). */
export function addUsage(a: Usage, b: Usage): Usage {
  const sum: Usage = { ...a };
  for (const k of ['inputTokens', 'outputTokens', 'cacheWriteTokens', 'cacheReadTokens', 'calls', 'dollars'] as const) {
    if (a[k] !== undefined || b[k] !== undefined) sum[k] = (a[k] ?? 0) + (b[k] ?? 0);
  }
  return sum;
}

export function trialOutcome(record: TrialRecord, gpuSeconds: number): TrialOutcome {
  return {
    trialId: record.trialId,
    index: record.index,
    specialist: record.specialist,
    label: record.label,
    score: record.score,
    keep: record.keep,
    sha: record.sha,
    hypothesis: record.hypothesis,
    gpuSeconds,
    dollars: record.usage.dollars,
  };
}
