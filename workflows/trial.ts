// One trial: propose → apply → preflight → train → evaluate → judge → record.
// Every way a recipe can fail ends as a labelled, recorded trial; only infrastructure retries.
import { proxyActivities, workflowInfo, upsertSearchAttributes, upsertMemo, getExternalWorkflowHandle, ActivityFailure, TimeoutFailure, ApplicationFailure } from '@temporalio/workflow';
import type { ControlActivities, SlotActivities } from '../activities/index.js';
import type { SlotRequest } from '../src/stages/trainAndEvaluate.js';
import type { EvaluateResult, Label, Proposal, StageTiming, TrainResult, TrialInput, TrialOutcome, TrialRecord, Usage, Verdict } from '../src/types.js';
import { CONTROL_QUEUE, GPU_QUEUE } from '../src/ids.js';
import { SA } from '../src/searchAttributes.js';
import { trialStageSignal } from './api.js';

const INFRA_RETRY = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 6, nonRetryableErrorTypes: ['TaskSpecError', 'EvaluatorMismatchError'] };

const control = proxyActivities<ControlActivities>({ taskQueue: CONTROL_QUEUE, startToCloseTimeout: '5 min', retry: INFRA_RETRY });
// A Claude proposal is a few model calls, each retried with backoff on 429/529 inside the SDK.
const proposer = proxyActivities<ControlActivities>({ taskQueue: CONTROL_QUEUE, startToCloseTimeout: '20 min', retry: INFRA_RETRY });
// Recording retries until the store answers: a trial's outcome is never dropped.
const durable = proxyActivities<ControlActivities>({ taskQueue: CONTROL_QUEUE, startToCloseTimeout: '1 min', retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' } });

/** Infrastructure time on top of a stage's budget: data preparation on a fresh host, checkout, start-up. */
const STAGE_MARGIN_S = 15 * 60;
/** How long an evaluate may wait for its slot before the trial trains again elsewhere. */
const SLOT_WAIT = '3 min';
const MAX_TRAIN_ROUNDS = 3;

function slotStages(input: TrialInput, slotQueue?: string) {
  return proxyActivities<SlotActivities>({
    taskQueue: slotQueue ?? GPU_QUEUE,
    startToCloseTimeout: `${Math.ceil((slotQueue ? input.limits.evalS : input.limits.trainS) + STAGE_MARGIN_S)} s`,
    heartbeatTimeout: '20 s',
    ...(slotQueue ? { scheduleToStartTimeout: SLOT_WAIT } : {}),
    retry: { ...INFRA_RETRY, maximumAttempts: 3 },
  });
}

function describe(err: unknown): string {
  if (err instanceof ActivityFailure) {
    const cause = err.cause;
    return `${err.activityType} failed: ${cause instanceof Error ? cause.message : String(cause)}`;
  }
  return err instanceof Error ? err.message : String(err);
}

function isSlotLost(err: unknown): boolean {
  return err instanceof ActivityFailure && err.cause instanceof TimeoutFailure;
}

/** Seconds a trial held a slot: its train and evaluate stages. */
export function slotSeconds(stages: StageTiming[]): number {
  return stages.filter((s) => s.stage === 'train' || s.stage === 'evaluate').reduce((a, s) => a + s.seconds, 0);
}

export async function trial(input: TrialInput): Promise<TrialOutcome> {
  const { workflowId, parent } = workflowInfo();
  // Tell the campaign (for its status query) each time the stage changes; a campaign that is
  // gone must not fail its trial, so a failed signal is ignored.
  let current = '';
  const enter = (stage: string) => {
    if (!parent || stage === current) return;
    current = stage;
    getExternalWorkflowHandle(parent.workflowId).signal(trialStageSignal, { index: input.index, stage }).catch(() => undefined);
  };
  const stages: StageTiming[] = [];
  async function timed<T>(stage: string, fn: () => Promise<T>): Promise<T> {
    enter(stage);
    const t0 = Date.now();
    try {
      return await fn();
    } finally {
      stages.push({ stage, startedAt: new Date(t0).toISOString(), seconds: (Date.now() - t0) / 1000 });
    }
  }

  const baseline = input.specialist === 'baseline';
  let proposal: Proposal | null = null;
  let usage: Usage = { inputTokens: 0, outputTokens: 0, dollars: 0 };
  let sha: string | null = baseline ? input.parentSha : null;
  let diff: string | null = baseline ? '' : null;
  const runs: { train: TrainResult; evaluate: EvaluateResult }[] = [];
  let verdict: Verdict;
  const fail = (label: Label, reason: string): Verdict => ({ label, score: null, keep: false, reason, rule: 'legality', bestBefore: null, repeats: runs.length, spread: null });

  verdict = await (async (): Promise<Verdict> => {
    try {
      if (!baseline) {
        const p = await timed('propose', () => proposer.propose(input));
        usage = p.usage;
        if (!p.ok || !p.proposal) return fail('proposal_invalid', p.error ?? 'no proposal');
        proposal = p.proposal;
        upsertMemo({ hypothesis: proposal.hypothesis });

        const a = await timed('apply', () => control.apply(input, p.proposal!));
        if (!a.ok) return fail(a.label ?? 'apply_failed', a.error ?? 'apply failed');
        sha = a.sha!;
        diff = a.diff ?? null;

        const pf = await timed('preflight', () => control.preflight(input, a.sha!, a.changedFiles ?? []));
        if (!pf.ok) return fail(pf.label ?? 'preflight_crash', pf.reason ?? 'preflight failed');
      } else {
        upsertMemo({ hypothesis: 'baseline recipe' });
      }

      const req: SlotRequest = { campaignId: input.campaignId, task: input.task, preset: input.preset, trialId: workflowId, sha: sha!, seed: input.seed, evaluatorHash: input.evaluatorHash };
      for (let repeat = 0; repeat < (input.limits.repeats ?? 1); repeat++) {
        for (let round = 1; ; round++) {
          const summary = (proposal ? (proposal as Proposal).hypothesis : 'baseline recipe').slice(0, 200);
          const train = await timed('train', () => slotStages(input).train.executeWithOptions({ summary: `train: ${summary}` }, [req]));
          try {
            // The harness's own wall-clock of the train run, for timing metrics.
            const evaluate = await timed('evaluate', () => slotStages(input, train.slotQueue).evaluate({ ...req, trainSeconds: train.wallS }));
            runs.push({ train, evaluate });
            break;
          } catch (err) {
            // The slot that holds this trial's outputs went away: train again on any slot.
            if (!isSlotLost(err) || round >= MAX_TRAIN_ROUNDS) throw err;
          }
        }
      }
      return await timed('judge', () => control.judge(input, runs));
    } catch (err) {
      if (err instanceof ActivityFailure || err instanceof ApplicationFailure) return fail('infra_error', describe(err));
      throw err;
    }
  })();

  const record: TrialRecord = {
    trialId: workflowId,
    campaignId: input.campaignId,
    task: input.task,
    index: input.index,
    specialist: input.specialist,
    parentSha: input.parentSha,
    secondParentSha: (proposal as Proposal | null)?.portedFrom?.sha ?? null,
    sha,
    hypothesis: baseline ? 'baseline recipe' : (proposal as Proposal | null)?.hypothesis ?? '',
    proposal,
    diff,
    label: verdict.label,
    score: verdict.score,
    keep: verdict.keep,
    reason: verdict.reason,
    rule: verdict.rule,
    spread: verdict.spread,
    metrics: runs.at(-1)?.evaluate.report?.metrics ?? {},
    stages,
    usage,
    train: runs.at(-1)?.train ?? null,
    logExcerpt: (runs.at(-1)?.train.logTail ?? '').slice(-4000),
    startedAt: input.startedAt,
    finishedAt: new Date().toISOString(),
  };
  enter('record');
  await durable.record(record);
  upsertSearchAttributes([
    { key: SA.label, value: verdict.label },
    ...(verdict.score !== null ? [{ key: SA.score, value: verdict.score }] : []),
  ]);
  return {
    trialId: workflowId,
    index: input.index,
    specialist: input.specialist,
    label: verdict.label,
    score: verdict.score,
    keep: verdict.keep,
    sha,
    hypothesis: record.hypothesis,
    gpuSeconds: slotSeconds(stages),
    dollars: usage.dollars,
  };
}
