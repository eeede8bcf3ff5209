// A campaign: one autonomous search on one task. It trains the baseline, then keeps trials in
// flight until a stopping rule fires (budget, deadline, plateau, stop signal): one training per
// slot and `lookahead` more per slot proposed and waiting, so a freed slot trains at once (the
// slot checks at that moment that the trial's parent is still the best). Each trial is a child
// workflow. Every `trialsPerRun` trials it drains its children and continues as new with its state
// carried, so a 10,000-trial campaign keeps a bounded history. Orchestration only: the state and
// its rules are src/campaignState.ts; every decision about a recipe happens in activities.
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
import type { CampaignInput, CampaignResult, TrialInput, TrialOutcome } from '../src/types.js';
import { CONTROL_QUEUE, trialId } from '../src/ids.js';
import { SA } from '../src/searchAttributes.js';
import { budgetChangeError } from '../src/campaignRules.js';
import { campaignInputError, firstProblem, parallelismSchema } from '../src/campaignInput.js';
import { CampaignState } from '../src/campaignState.js';
import { pauseSignal, resumeSignal, setBudgetUpdate, setParallelismUpdate, statusQuery, stopSignal } from './api.js';
import { trial } from './trial.js';

/** Setup waits out outages like any stage (no attempt cap), up to the campaign's outage limit. */
const setupActivities = (outageS: number) =>
  proxyActivities<ControlActivities>({
    taskQueue: CONTROL_QUEUE,
    startToCloseTimeout: '5 min',
    scheduleToCloseTimeout: `${5 * 60 + outageS} s`,
    heartbeatTimeout: '30 s',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' }, // bad input fails non-retryable (activities/failures.ts)
  });

/** Invalid input fails the campaign at once, naming the field. */
function validateCampaignInput(input: CampaignInput): void {
  const problem = campaignInputError(input);
  if (problem) throw ApplicationFailure.nonRetryable(`invalid campaign input: ${problem}`, 'InvalidCampaignInput');
}

export async function campaign(input: CampaignInput): Promise<CampaignResult> {
  validateCampaignInput(input);
  const nowIso = () => new Date().toISOString(); // workflow time
  const st = new CampaignState(input, nowIso());

  setHandler(pauseSignal, () => void (st.paused = true));
  setHandler(resumeSignal, () => void (st.paused = false));
  setHandler(stopSignal, () => void (st.stopping = true));
  setHandler(setBudgetUpdate, (change) => st.setBudget(change), {
    validator: (change) => {
      const refused = budgetChangeError(change, st.c.spent, Date.now());
      if (refused) throw ApplicationFailure.nonRetryable(`budget refused: ${refused}`, 'BudgetRefused');
    },
  });
  setHandler(
    setParallelismUpdate,
    (n) => {
      st.parallelism = n;
      return st.parallelism;
    },
    {
      validator: (n) => {
        const refused = firstProblem(parallelismSchema, n, 'parallelism');
        if (refused) throw ApplicationFailure.nonRetryable(`parallelism refused: ${refused}`, 'ParallelismRefused');
      },
    },
  );
  setHandler(statusQuery, () => st.status());

  const setup =
    input.carried?.setup ??
    (await setupActivities(st.outageS)
      .setupCampaign(input, nowIso())
      .catch((err: unknown) => {
        // Surface the reason (a bad task, an unknown specialist) as the campaign's own failure message.
        const cause = err instanceof ActivityFailure && err.cause instanceof Error ? err.cause.message : String(err);
        throw ApplicationFailure.nonRetryable(`campaign setup failed: ${cause}`, 'CampaignSetupFailed');
      }));
  st.setUp = true;

  const trialInput = (index: number, specialist: string, parentSha: string): TrialInput => ({
    campaignId: input.campaignId,
    task: input.task,
    preset: input.preset ?? 'cpu',
    index,
    specialist,
    parentSha,
    evaluatorHash: setup.evaluatorHash,
    limits: setup.limits,
    proposer: input.proposer,
    roster: input.roster,
    dollarCap: st.budget.dollars ?? null,
    seed: input.seed ?? 1,
    startedAt: nowIso(),
    outageLimitS: st.outageS,
    rebase: input.rebase ?? true,
  });
  const settle = (o: TrialOutcome) => st.settle(o, setup.direction, nowIso());

  /** Starts a trial's child workflow; the promise resolves once the server has started it. */
  const launch = (index: number, specialist: string, parentSha: string): Promise<unknown> => {
    const id = trialId(input.campaignId, index);
    st.launched(index, specialist, id, nowIso());
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
        settle({
          trialId: id,
          index,
          specialist,
          label: 'infra_error',
          score: null,
          keep: false,
          sha: null,
          hypothesis: String(err),
          gpuSeconds: 0,
          dollars: 0,
        }),
      );
    return started;
  };

  const finish = (note: string): CampaignResult => {
    st.finish(note);
    return { status: st.status(), trials: st.outcomes, note };
  };

  if (!input.carried) {
    // The baseline: the unedited recipe, trained and scored like any trial.
    await launch(0, 'baseline', setup.baselineSha);
    for (;;) {
      await condition(() => st.c.finished >= 1 || st.rerun.length > 0);
      if (st.c.finished >= 1) break;
      st.rerun.shift();
      await launch(0, 'baseline', setup.baselineSha);
    }
    if (!st.c.best) return finish(`baseline did not produce a legal score (${st.outcomes[0]?.label}); no trials run`);
  }

  const runFull = () => st.runFull(workflowInfo().continueAsNewSuggested);
  // Every free place is filled in one workflow task: the children's starts go to the server as one
  // batch of commands instead of one task (and one round trip) per child. Older histories awaited
  // each start before the next.
  const batchStarts = patched('batch-child-starts');
  for (;;) {
    st.stoppedBy = st.stopRule();
    if (st.stoppedBy || runFull()) {
      if (st.inFlight.length === 0) break;
      // In-flight trials finish either way; one that ends infra_error gives its trial back and may reopen the budget.
      await condition(() => st.inFlight.length === 0 || (st.stopRule() === null && !runFull()));
      continue;
    }
    if (st.slotFree()) {
      const next = st.nextTrial(setup.specialists);
      const started = launch(next.index, next.specialist, st.c.best!.sha);
      st.launchedThisRun++;
      if (!batchStarts) await started;
      continue;
    }
    // Idle (paused, or every place taken): wake for a finished trial, a signal or update, or a time rule.
    const version = st.budgetVersion;
    const ready = () => st.stopRule() !== null || st.slotFree() || st.budgetVersion !== version;
    const wake = st.msUntilTimeRule();
    if (wake === null) await condition(ready);
    else await condition(ready, wake);
  }
  st.stoppedBy = st.stopRule();
  if (st.stoppedBy) return finish(st.stoppedBy);

  // This run has had its share of trials: hand the state to a fresh run.
  await condition(allHandlersFinished);
  return continueAsNew<typeof campaign>(st.nextRunInput(setup));
}
