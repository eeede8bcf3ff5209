// A campaign: one autonomous search on one task. It trains the baseline, then keeps trials in
// flight until a stopping rule fires (budget, deadline, plateau, stop signal): one training per
// slot and `lookahead` more per slot proposed and waiting, so a freed slot trains at once (the
// slot checks at that moment that the trial's parent is still the best). Each trial is a child workflow. Every `trialsPerRun` trials it drains its children
// and continues as new with its state carried, so a 10,000-trial campaign keeps a bounded
// history. Orchestration only: every decision about a recipe happens in activities.
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { ControlActivities } from '../activities/index.js';
import type { Budget, CampaignCarry, CampaignInput, CampaignResult, CampaignStatus, InFlightTrial, TrialInput, TrialOutcome } from '../src/types.js';
import { CONTROL_QUEUE, trialId } from '../src/ids.js';
import { SA } from '../src/searchAttributes.js';
import { budgetChangeError, budgetFieldError, msUntilTimeRule, plateauFieldError, stopReason, type RuleState } from '../src/campaignRules.js';
import { proposerConfigError } from '../src/proposers/proposerConfig.js';
import { chooseByBandit, remember, roundRobin, trialReward } from '../src/specialistChoice.js';
import { pauseSignal, resumeSignal, setBudgetUpdate, setParallelismUpdate, statusQuery, stopSignal } from './api.js';
import { DEFAULT_OUTAGE_LIMIT_S, trial } from './trial.js';
import { isBetter } from '../src/metric.js';

/** Trials per workflow run before continue-as-new (sooner when the server suggests it). */
export const DEFAULT_TRIALS_PER_RUN = 200;

/** An index whose trial ended infra_error runs again at most this many times; after that its infra_error stands and counts. */
export const MAX_RERUNS = 3;

/** Setup waits out outages like any stage (no attempt cap), up to the campaign's outage limit. */
const setupActivities = (outageS: number) =>
  proxyActivities<ControlActivities>({
    taskQueue: CONTROL_QUEUE,
    startToCloseTimeout: '5 min',
    scheduleToCloseTimeout: `${5 * 60 + outageS} s`,
    heartbeatTimeout: '30 s',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' }, // bad input fails non-retryable (activities/failures.ts)
  });

const parallelismError = (n: unknown, field = 'parallelism') =>
  Number.isInteger(n) && (n as number) >= 1 && (n as number) <= 256 ? null : `${field}: a whole number from 1 to 256`;
const wholeIn = (n: unknown, lo: number, hi: number) => Number.isInteger(n) && (n as number) >= lo && (n as number) <= hi;

/** Proposals kept ready per slot when the input names none. */
export const DEFAULT_LOOKAHEAD = 1;

/** Trials in flight: the explicit parallelism (the old scheduling), else one training and `lookahead` ready per slot. */
export function inFlightCap(input: Pick<CampaignInput, 'parallelism' | 'slots' | 'lookahead'>): number {
  return input.parallelism ?? input.slots! * (1 + (input.lookahead ?? DEFAULT_LOOKAHEAD));
}

/** Invalid input fails the campaign at once, naming the field. */
export function validateCampaignInput(input: CampaignInput): void {
  const bad = (problem: string): never => {
    throw ApplicationFailure.nonRetryable(`invalid campaign input: ${problem}`, 'InvalidCampaignInput');
  };
  if (!input || typeof input !== 'object') bad('(root): must be an object');
  if (typeof input.campaignId !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(input.campaignId)) bad('campaignId: letters, digits, . _ -');
  if (typeof input.task !== 'string' || !input.task) bad('task: a task name under tasks/');
  if (!input.budget || typeof input.budget !== 'object') bad('budget: an object with trials (and optionally gpuHours, dollars, deadline)');
  const budgetError = budgetFieldError(input.budget as unknown as Record<string, unknown>, 'budget.', true);
  if (budgetError) bad(budgetError);
  if (input.parallelism === undefined && input.slots === undefined) bad('slots: the number of train slots to fill (or parallelism: trials in flight)');
  if (input.slots !== undefined && !wholeIn(input.slots, 1, 128)) bad('slots: a whole number from 1 to 128');
  if (input.lookahead !== undefined && !wholeIn(input.lookahead, 0, 4)) bad('lookahead: a whole number from 0 to 4 (proposals ready per slot)');
  if (input.rebase !== undefined && typeof input.rebase !== 'boolean') bad('rebase: true or false');
  const pError = input.parallelism === undefined ? null : parallelismError(input.parallelism);
  if (pError) bad(pError);
  const proposerError = proposerConfigError(input.proposer);
  if (proposerError) bad(proposerError);
  if (input.seed !== undefined && !Number.isInteger(input.seed)) bad('seed: a whole number');
  if (input.plateau !== undefined) {
    const e = plateauFieldError(input.plateau);
    if (e) bad(e);
  }
  if (input.specialistChoice !== undefined && !['round_robin', 'bandit'].includes(input.specialistChoice)) bad('specialistChoice: round_robin or bandit');
  if (input.trialsPerRun !== undefined && !(Number.isInteger(input.trialsPerRun) && input.trialsPerRun >= 1)) bad('trialsPerRun: a whole number >= 1');
  const r = input.roster;
  if (r !== undefined && (!r || !['specialists', 'generalist', 'generic'].includes(r.kind))) bad('roster.kind: one of specialists, generalist, generic');
  if (r?.kind === 'generic' && (!Number.isInteger(r.agents) || r.agents < 1 || r.agents > 64)) bad('roster.agents: a whole number from 1 to 64');
  const o = input.outageLimitMinutes;
  if (o !== undefined && !(typeof o === 'number' && Number.isFinite(o) && o > 0)) bad('outageLimitMinutes: a number of minutes > 0 (default 30)');
}

export async function campaign(input: CampaignInput): Promise<CampaignResult> {
  validateCampaignInput(input);
  const preset = input.preset ?? 'cpu';
  const plateau = input.plateau ?? null;
  const choice = input.specialistChoice ?? 'round_robin';
  const trialsPerRun = input.trialsPerRun ?? DEFAULT_TRIALS_PER_RUN;
  const nowIso = () => new Date().toISOString(); // workflow time
  let budget: Budget = { ...input.budget };
  let parallelism = inFlightCap(input);
  let paused = input.carried?.paused ?? false;
  let stopping = false;
  let setUp = Boolean(input.carried);
  let finished = false;
  let stoppedBy: string | null = null;
  /** Bumped by setBudget, so an idle campaign re-arms its deadline timer. */
  let budgetVersion = 0;
  const c: Omit<CampaignCarry, 'setup' | 'paused'> = input.carried
    ? { ...input.carried, spent: { ...input.carried.spent }, counts: { ...input.carried.counts } }
    : { run: 1, nextIndex: 0, finished: 0, baseline: null, best: null, counts: {}, spent: { trials: 0, gpuSeconds: 0, dollars: 0 }, lastKeepAt: nowIso(), trialsSinceKeep: 0, startedAt: nowIso(), bandit: [] };
  const rerun = [...(input.carried?.rerun ?? [])];
  const reruns: Record<string, number> = { ...(input.carried?.reruns ?? {}) };
  const outageS = (input.outageLimitMinutes ?? DEFAULT_OUTAGE_LIMIT_S / 60) * 60;
  const inFlight: InFlightTrial[] = [];
  const outcomes: TrialOutcome[] = [];

  const rules = (): RuleState => ({ budget, plateau, spent: c.spent, now: Date.now(), lastKeepAt: Date.parse(c.lastKeepAt), trialsSinceKeep: c.trialsSinceKeep });
  const status = (): CampaignStatus => {
    const now = Date.now();
    const gpuHours = c.spent.gpuSeconds / 3600;
    return {
      campaignId: input.campaignId,
      task: input.task,
      state: finished ? 'finished' : stopping || stoppedBy ? 'stopping' : paused ? 'paused' : setUp ? 'running' : 'setting_up',
      budget,
      plateau,
      parallelism,
      slots: input.slots ?? null,
      lookahead: input.lookahead ?? DEFAULT_LOOKAHEAD,
      specialistChoice: choice,
      started: c.nextIndex,
      finished: c.finished,
      inFlight: inFlight.map((t) => ({ ...t })),
      baseline: c.baseline,
      best: c.best,
      counts: c.counts,
      used: { trials: c.spent.trials, gpuHours, dollars: c.spent.dollars, hours: (now - Date.parse(c.startedAt)) / 3_600_000 },
      left: {
        trials: Math.max(0, budget.trials - c.spent.trials),
        gpuHours: budget.gpuHours === undefined ? null : Math.max(0, budget.gpuHours - gpuHours),
        dollars: budget.dollars === undefined ? null : Math.max(0, budget.dollars - c.spent.dollars),
        deadlineInS: budget.deadline === undefined ? null : Math.max(0, (Date.parse(budget.deadline) - now) / 1000),
      },
      trialsSinceKeep: c.trialsSinceKeep,
      lastKeepAt: c.lastKeepAt,
      run: c.run,
      nextIndex: c.nextIndex,
      stoppedBy: stopping ? 'stopped by signal' : stoppedBy,
      rerunAfterInfraError: Object.values(reruns).reduce((a, n) => a + n, 0),
      outageLimitMinutes: outageS / 60,
    };
  };

  setHandler(pauseSignal, () => void (paused = true));
  setHandler(resumeSignal, () => void (paused = false));
  setHandler(stopSignal, () => void (stopping = true));
  setHandler(
    setBudgetUpdate,
    (change) => {
      budget = { ...budget, ...change };
      budgetVersion++;
      return budget;
    },
    {
      validator: (change) => {
        const refused = budgetChangeError(change, c.spent, Date.now());
        if (refused) throw ApplicationFailure.nonRetryable(`budget refused: ${refused}`, 'BudgetRefused');
      },
    },
  );
  setHandler(
    setParallelismUpdate,
    (n) => {
      parallelism = n;
      return parallelism;
    },
    {
      validator: (n) => {
        const refused = parallelismError(n);
        if (refused) throw ApplicationFailure.nonRetryable(`parallelism refused: ${refused}`, 'ParallelismRefused');
      },
    },
  );
  setHandler(statusQuery, status);

  const setup =
    input.carried?.setup ??
    (await setupActivities(outageS).setupCampaign(input, nowIso()).catch((err: unknown) => {
      // Surface the reason (a bad task, an unknown specialist) as the campaign's own failure message.
      const cause = err instanceof ActivityFailure && err.cause instanceof Error ? err.cause.message : String(err);
      throw ApplicationFailure.nonRetryable(`campaign setup failed: ${cause}`, 'CampaignSetupFailed');
    }));
  setUp = true;

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
    dollarCap: budget.dollars ?? null,
    seed: input.seed ?? 1,
    startedAt: nowIso(),
    outageLimitS: outageS,
    rebase: input.rebase ?? true,
  });

  const settle = (o: TrialOutcome) => {
    const i = inFlight.findIndex((t) => t.index === o.index);
    if (i >= 0) inFlight.splice(i, 1);
    // Slot time and model calls were really spent, whatever the outcome.
    c.spent.gpuSeconds += o.gpuSeconds;
    c.spent.dollars += o.dollars;
    // An infra_error is no research outcome: the index gives its trial back to the budget, leaves
    // the plateau count alone and runs again, unless it keeps failing that way.
    if (o.label === 'infra_error' && (reruns[o.index] ?? 0) < MAX_RERUNS) {
      reruns[o.index] = (reruns[o.index] ?? 0) + 1;
      rerun.push({ index: o.index, specialist: o.specialist });
      if (o.index > 0) c.spent.trials--;
      return;
    }
    c.finished++;
    c.counts[o.label] = (c.counts[o.label] ?? 0) + 1;
    outcomes.push(o);
    const bestBefore = c.best?.score ?? null;
    if (o.keep && o.score !== null && o.sha && (!c.best || isBetter(setup.direction, o.score, c.best.score))) c.best = { index: o.index, score: o.score, sha: o.sha };
    if (o.index === 0) c.baseline = o.score;
    else c.bandit = remember(c.bandit, { specialist: o.specialist, reward: trialReward(o.keep, o.score, bestBefore, setup.direction) });
    // The baseline counts as a keep for the plateau rule: its clock starts there.
    if (o.keep || o.index === 0) {
      c.trialsSinceKeep = 0;
      c.lastKeepAt = nowIso();
    } else c.trialsSinceKeep++;
  };

  /** Starts a trial's child workflow; the promise resolves once the server has started it. */
  const launch = (index: number, specialist: string, parentSha: string): Promise<unknown> => {
    const id = trialId(input.campaignId, index);
    c.nextIndex = Math.max(c.nextIndex, index + 1);
    if (index > 0) c.spent.trials++;
    inFlight.push({ index, specialist, trialId: id, stage: 'starting', since: nowIso() });
    const started = startChild(trial, {
      workflowId: id,
      args: [trialInput(index, specialist, parentSha)],
      taskQueue: workflowInfo().taskQueue,
      staticSummary: `trial ${index} · ${specialist}`,
      typedSearchAttributes: [
        { key: SA.campaign, value: input.campaignId },
        { key: SA.task, value: input.task },
        { key: SA.specialist, value: specialist },
        { key: SA.trialIndex, value: index },
      ],
    });
    // A child that fails to start settles like one that failed: infra_error, run again up to MAX_RERUNS.
    void started
      .then((handle) => handle.result())
      .then(settle, (err) =>
        settle({ trialId: id, index, specialist, label: 'infra_error', score: null, keep: false, sha: null, hypothesis: String(err), gpuSeconds: 0, dollars: 0 }),
      );
    return started;
  };

  const finish = (note: string): CampaignResult => {
    finished = true;
    stoppedBy = note;
    return { status: status(), trials: outcomes, note };
  };

  if (!input.carried) {
    // The baseline: the unedited recipe, trained and scored like any trial.
    await launch(0, 'baseline', setup.baselineSha);
    for (;;) {
      await condition(() => c.finished >= 1 || rerun.length > 0);
      if (c.finished >= 1) break;
      rerun.shift();
      await launch(0, 'baseline', setup.baselineSha);
    }
    if (!c.best) return finish(`baseline did not produce a legal score (${outcomes[0]?.label}); no trials run`);
  }

  let launchedThisRun = 0;
  const rule = () => (stopping ? 'stopped by signal' : stopReason(rules()));
  const runFull = () => launchedThisRun >= trialsPerRun || workflowInfo().continueAsNewSuggested;
  const slotFree = () => !paused && inFlight.length < parallelism;
  // Every free place is filled in one workflow task: the children's starts go to the server as one
  // batch of commands instead of one task (and one round trip) per child. Older histories awaited
  // each start before the next.
  const batchStarts = patched('batch-child-starts');
  for (;;) {
    stoppedBy = rule();
    if (stoppedBy || runFull()) {
      if (inFlight.length === 0) break;
      // In-flight trials finish either way; one that ends infra_error gives its trial back and may reopen the budget.
      await condition(() => inFlight.length === 0 || (rule() === null && !runFull()));
      continue;
    }
    if (slotFree()) {
      const again = rerun.shift();
      if (again) {
        const started = launch(again.index, again.specialist, c.best!.sha);
        launchedThisRun++;
        if (!batchStarts) await started;
        continue;
      }
      const specialist =
        choice === 'bandit'
          ? chooseByBandit(setup.specialists, c.bandit, inFlight.map((t) => t.specialist))
          : roundRobin(setup.specialists, c.nextIndex - 1);
      const started = launch(c.nextIndex, specialist, c.best!.sha);
      launchedThisRun++;
      if (!batchStarts) await started;
      continue;
    }
    // Idle (paused, or every slot busy): wake for a finished trial, a signal or update, or a time rule.
    const version = budgetVersion;
    const ready = () => rule() !== null || slotFree() || budgetVersion !== version;
    const wake = msUntilTimeRule(rules());
    if (wake === null) await condition(ready);
    else await condition(ready, wake);
  }
  stoppedBy = rule();
  if (stoppedBy) return finish(stoppedBy);

  // This run has had its share of trials: hand the state to a fresh run.
  await condition(allHandlersFinished);
  return continueAsNew<typeof campaign>({ ...input, budget, parallelism, carried: { ...c, setup, paused, run: c.run + 1, rerun, reruns } });
}
