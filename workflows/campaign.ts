// A campaign: one autonomous search on one task. It trains the baseline, then keeps
// `parallelism` trials in flight until the trial budget is spent or it is stopped; each trial
// is a child workflow. Orchestration only: every decision about a recipe happens in activities.
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  defineQuery,
  defineSignal,
  proxyActivities,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { ControlActivities } from '../activities/index.js';
import type { CampaignInput, CampaignResult, CampaignStatus, TrialInput, TrialOutcome } from '../src/types.js';
import { CONTROL_QUEUE, trialId } from '../src/ids.js';
import { SA } from '../src/searchAttributes.js';
import { trial } from './trial.js';

export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
export const stopSignal = defineSignal('stop');
export const statusQuery = defineQuery<CampaignStatus>('status');

const control = proxyActivities<ControlActivities>({
  taskQueue: CONTROL_QUEUE,
  startToCloseTimeout: '5 min',
  retry: { initialInterval: '1s', maximumAttempts: 5, nonRetryableErrorTypes: ['TaskSpecError'] },
});

/** Invalid input fails the campaign at once, naming the field. */
export function validateCampaignInput(input: CampaignInput): void {
  const bad = (field: string, rule: string) => {
    throw ApplicationFailure.nonRetryable(`invalid campaign input: ${field}: ${rule}`, 'InvalidCampaignInput');
  };
  if (!input || typeof input !== 'object') bad('(root)', 'must be an object');
  if (typeof input.campaignId !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(input.campaignId)) bad('campaignId', 'letters, digits, . _ -');
  if (typeof input.task !== 'string' || !input.task) bad('task', 'a task name under tasks/');
  if (!input.budget || !Number.isInteger(input.budget.trials) || input.budget.trials < 0) bad('budget.trials', 'a whole number >= 0');
  if (!Number.isInteger(input.parallelism) || input.parallelism < 1 || input.parallelism > 64) bad('parallelism', 'a whole number from 1 to 64');
  if (!input.proposer || !['offline', 'replay', 'claude'].includes(input.proposer.kind)) bad('proposer.kind', 'one of offline, replay, claude');
  if (input.proposer.kind === 'replay' && !Array.isArray(input.proposer.proposals)) bad('proposer.proposals', 'a list of proposals');
  if (input.seed !== undefined && !Number.isInteger(input.seed)) bad('seed', 'a whole number');
  const r = input.roster;
  if (r !== undefined && (!r || !['specialists', 'generalist', 'generic'].includes(r.kind))) bad('roster.kind', 'one of specialists, generalist, generic');
  if (r?.kind === 'generic' && (!Number.isInteger(r.agents) || r.agents < 1 || r.agents > 64)) bad('roster.agents', 'a whole number from 1 to 64');
}

export async function campaign(input: CampaignInput): Promise<CampaignResult> {
  validateCampaignInput(input);
  const preset = input.preset ?? 'cpu';
  const status: CampaignStatus = {
    campaignId: input.campaignId,
    task: input.task,
    state: 'setting_up',
    budget: { trials: input.budget.trials },
    started: 0,
    finished: 0,
    inFlight: [],
    baseline: null,
    best: null,
    counts: {},
  };
  const outcomes: TrialOutcome[] = [];
  let paused = false;
  let stopping = false;
  setHandler(pauseSignal, () => void (paused = true));
  setHandler(resumeSignal, () => void (paused = false));
  setHandler(stopSignal, () => void (stopping = true));
  setHandler(statusQuery, () => ({ ...status, state: status.state === 'finished' ? 'finished' : stopping ? 'stopping' : paused ? 'paused' : status.state }));

  const setup = await control.setupCampaign(input, new Date().toISOString()).catch((err: unknown) => {
    // Surface the reason (a bad task, an unknown specialist) as the campaign's own failure message.
    const cause = err instanceof ActivityFailure && err.cause instanceof Error ? err.cause.message : String(err);
    throw ApplicationFailure.nonRetryable(`campaign setup failed: ${cause}`, 'CampaignSetupFailed');
  });
  status.state = 'running';

  const trialInput = (index: number, specialist: string, parentSha: string): TrialInput => ({
    campaignId: input.campaignId,
    task: input.task,
    preset,
    index,
    specialist,
    parentSha,
    evaluatorHash: setup.evaluatorHash,
    limits: setup.limits,
    proposer: input.proposer,
    roster: input.roster,
    dollarCap: input.budget.dollars ?? null,
    seed: input.seed ?? 1,
    startedAt: new Date().toISOString(),
  });

  const launch = async (args: TrialInput) => {
    const id = trialId(input.campaignId, args.index);
    status.started++;
    status.inFlight.push({ index: args.index, specialist: args.specialist, trialId: id });
    const handle = await startChild(trial, {
      workflowId: id,
      args: [args],
      taskQueue: workflowInfo().taskQueue,
      staticSummary: `trial ${args.index} · ${args.specialist}`,
      typedSearchAttributes: [
        { key: SA.campaign, value: input.campaignId },
        { key: SA.task, value: input.task },
        { key: SA.specialist, value: args.specialist },
        { key: SA.trialIndex, value: args.index },
      ],
    });
    void handle.result().then(
      (outcome) => settle(args.index, outcome),
      (err) => settle(args.index, { trialId: id, index: args.index, specialist: args.specialist, label: 'infra_error', score: null, keep: false, sha: null, hypothesis: String(err) }),
    );
  };

  const better = (a: number, b: number) => (setup.direction === 'minimize' ? a < b : a > b);
  const settle = (index: number, o: TrialOutcome) => {
    status.inFlight = status.inFlight.filter((t) => t.index !== index);
    status.finished++;
    status.counts[o.label] = (status.counts[o.label] ?? 0) + 1;
    outcomes.push(o);
    if (index === 0) status.baseline = o.score;
    if (o.keep && o.score !== null && o.sha && (!status.best || better(o.score, status.best.score))) {
      status.best = { index, score: o.score, sha: o.sha };
    }
  };

  // The baseline: the unedited recipe, trained and scored like any trial.
  await launch(trialInput(0, 'baseline', setup.baselineSha));
  await condition(() => status.finished >= 1);
  if (!status.best) {
    status.state = 'finished';
    return { status, trials: outcomes, note: `baseline did not produce a legal score (${outcomes[0]?.label}); no trials run` };
  }

  let next = 1;
  while (true) {
    await condition(() => stopping || status.started > input.budget.trials || (!paused && status.inFlight.length < input.parallelism));
    if (stopping || status.started > input.budget.trials) break;
    const specialist = setup.specialists[(next - 1) % setup.specialists.length]!;
    await launch(trialInput(next, specialist, status.best.sha));
    next++;
  }
  await condition(() => status.inFlight.length === 0);
  status.state = 'finished';
  const note = stopping ? 'stopped by signal' : `trial budget of ${input.budget.trials} spent`;
  return { status, trials: outcomes, note };
}
