// One trial: propose → apply → preflight → train → evaluate → judge → record.
// Every way a recipe can fail ends as a labelled, recorded trial; only infrastructure retries.
import {
  proxyActivities,
  patched,
  workflowInfo,
  upsertSearchAttributes,
  upsertMemo,
  getExternalWorkflowHandle,
  setHandler,
  condition,
  ActivityFailure,
  TimeoutFailure,
  ApplicationFailure,
} from '@temporalio/workflow';
import type { ControlActivities, SlotActivities } from '../activities/index.js';
import type { SlotRequest } from '../src/stages/trainAndEvaluate.js';
import type {
  BestRef,
  EvaluateResult,
  Label,
  PreflightResult,
  Proposal,
  RebaseResult,
  RunOutcome,
  SlotClock,
  StageTiming,
  StaleParent,
  TrainResult,
  TrialInput,
  TrialOutcome,
  TrialRebase,
  Usage,
  Verdict,
} from '../src/types.js';
import { CONTROL_QUEUE, GPU_QUEUE, isBaseline } from '../src/ids.js';
import { SA } from '../src/searchAttributes.js';
import { bestMovedSignal, trialStageSignal } from './api.js';
import { addUsage, slotSeconds, trialOutcome, trialRecord } from '../src/trialRecord.js';
import { DEFAULT_OUTAGE_LIMIT_S } from '../src/campaignState.js';

/**
 * No attempt cap: a stage retries with backoff until it succeeds or the campaign's outage limit
 * passes. Errors no retry can fix come back non-retryable from the activity (activities/failures.ts).
 */
const WAIT_OUT = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' };
/** Control activities heartbeat every few seconds (activities/heartbeat.ts): a dead control worker is noticed in this time. */
const CONTROL_HEARTBEAT = '30 s';

/** Infrastructure time on top of a stage's budget: data preparation on a fresh host, checkout, start-up. */
const STAGE_MARGIN_S = 15 * 60;
/** How long an evaluate may wait for its slot before the trial trains again elsewhere. */
const SLOT_WAIT = '3 min';
/** A ready trial whose change conflicts with a moved best is proposed again this many times at most. */
const MAX_REPROPOSALS = 2;

/** The stages' activity options for one trial: each attempt has its own timeout; all attempts together get the outage limit on top. */
function stageActivities(input: TrialInput) {
  const outageS = input.outageLimitS ?? DEFAULT_OUTAGE_LIMIT_S;
  const controlWith = (startToCloseS: number) =>
    proxyActivities<ControlActivities>({
      taskQueue: CONTROL_QUEUE,
      startToCloseTimeout: `${startToCloseS} s`,
      scheduleToCloseTimeout: `${startToCloseS + outageS} s`,
      heartbeatTimeout: CONTROL_HEARTBEAT,
      retry: WAIT_OUT,
    });
  const slot = (slotQueue?: string) => {
    const startToCloseS = Math.ceil((slotQueue ? input.limits.evalS : input.limits.trainS) + STAGE_MARGIN_S);
    return proxyActivities<SlotActivities>({
      taskQueue: slotQueue ?? GPU_QUEUE,
      startToCloseTimeout: `${startToCloseS} s`,
      scheduleToCloseTimeout: `${startToCloseS + outageS} s`,
      heartbeatTimeout: '20 s',
      ...(slotQueue ? { scheduleToStartTimeout: SLOT_WAIT } : {}),
      retry: WAIT_OUT,
    });
  };
  return {
    outageS,
    control: controlWith(5 * 60),
    // A Claude proposal is a few model calls, each retried with backoff on 429/529 inside the SDK.
    proposer: controlWith(20 * 60),
    // Recording retries until the store answers, however long: a trial's outcome is never dropped.
    durable: proxyActivities<ControlActivities>({
      taskQueue: CONTROL_QUEUE,
      startToCloseTimeout: '2 min',
      heartbeatTimeout: CONTROL_HEARTBEAT,
      retry: WAIT_OUT,
    }),
    slot,
  };
}

function describe(err: unknown): string {
  if (err instanceof ActivityFailure) {
    const cause = err.cause;
    return `${err.activityType} failed: ${cause instanceof Error ? cause.message : String(cause)}`;
  }
  return err instanceof Error ? err.message : String(err);
}

/** The slot holding this trial's train outputs is gone (its worker never came back, or the outputs were lost). */
function isSlotLost(err: unknown): boolean {
  if (!(err instanceof ActivityFailure)) return false;
  return err.cause instanceof TimeoutFailure || (err.cause instanceof ApplicationFailure && err.cause.type === 'SlotOutputsLost');
}

function slotTiming(stage: 'train' | 'evaluate', startedAt: string, r: RunOutcome & SlotClock): StageTiming {
  return {
    stage,
    startedAt,
    seconds: r.wallS,
    attempt: r.attempt ?? 1,
    queuedS: r.queuedS ?? 0,
    ...(r.slotStartMs ? { slotStartMs: r.slotStartMs, slotEndMs: r.slotEndMs } : {}),
  };
}

export async function trial(input: TrialInput): Promise<TrialOutcome> {
  const { workflowId, parent } = workflowInfo();
  // The current stage lives in the trial's own memo (`lineage status` reads it with describe), so
  // the campaign's history holds no event per stage. Histories from before signalled the campaign.
  let current = '';
  const enter = (stage: string) => {
    if (stage === current) return;
    current = stage;
    if (patched('stage-in-memo')) upsertMemo({ stage: { name: stage, since: new Date().toISOString() } });
    else if (parent)
      getExternalWorkflowHandle(parent.workflowId)
        .signal(trialStageSignal, { index: input.index, stage })
        .catch(() => undefined);
  };
  const { control, proposer, durable, slot, outageS } = stageActivities(input);
  const stages: StageTiming[] = [];
  /** A stage's time in the record; `quiet` keeps the current stage in the memo (work done while the trial waits for a slot). */
  async function timed<T>(stage: string, fn: () => Promise<T>, quiet = false): Promise<T> {
    if (!quiet) enter(stage);
    const t0 = Date.now();
    try {
      return await fn();
    } finally {
      stages.push({ stage, startedAt: new Date(t0).toISOString(), seconds: (Date.now() - t0) / 1000 });
    }
  }
  /** Train and evaluate are timed by the slot's clock: the run's wall time, with the wait for the slot apart. */
  async function onSlot<T extends RunOutcome & SlotClock>(stage: 'train' | 'evaluate', fn: () => Promise<T>): Promise<T> {
    enter(stage);
    const startedAt = new Date().toISOString();
    const r = await fn();
    stages.push(slotTiming(stage, startedAt, r));
    return r;
  }

  const baseline = isBaseline(input);
  let proposal = null as Proposal | null; // `as`: set inside closures, so TS must not narrow it to null here
  let usage: Usage = { inputTokens: 0, outputTokens: 0, dollars: 0 };
  let sha: string | null = baseline ? input.parentSha : null;
  let diff: string | null = baseline ? '' : null;
  /** The recipe version this trial edits: the best it was proposed on, until a rebase moves it. */
  let parentSha = input.parentSha;
  const rebases: TrialRebase[] = [];
  /** The latest best another trial announced (src/bestMoved.ts): a head start on a rebase, never trusted over the slot's check. */
  let announced: BestRef | null = null;
  setHandler(bestMovedSignal, (best) => void (announced = best));
  const runs: { train: TrainResult; evaluate: EvaluateResult }[] = [];
  let verdict: Verdict;
  const fail = (label: Label, reason: string): Verdict => ({
    label,
    score: null,
    keep: false,
    reason,
    rule: 'legality',
    bestBefore: null,
    repeats: runs.length,
    spread: null,
  });
  const reproposals = () => rebases.filter((x) => x.how === 'reproposed').length;
  const on = (parent: string): TrialInput => ({ ...input, parentSha: parent, ...(reproposals() ? { reproposal: reproposals() } : {}) });

  /** propose → apply → preflight on `parent`: a failure's verdict, or null once the trial is ready to train. */
  async function prepare(parent: string): Promise<Verdict | null> {
    const p = await timed('propose', () => proposer.propose(on(parent)));
    usage = addUsage(usage, p.usage);
    if (!p.ok) return fail('proposal_invalid', p.reason);
    const next = p.proposal;
    proposal = next;
    upsertMemo({ hypothesis: next.hypothesis });

    const a = await timed('apply', () => control.apply(on(parent), next));
    if (!a.ok) return fail(a.label, a.reason);
    sha = a.sha;
    diff = a.diff;

    const pf = await timed('preflight', () => control.preflight(on(parent), a.sha, a.changedFiles));
    return pf.ok ? null : fail(pf.label, pf.reason);
  }

  /** A rebase made while the train still waits for a slot: the commit and its preflight, claimed only if the slot answers stale. */
  interface Prepared {
    onto: BestRef;
    rebase: RebaseResult;
    preflight: PreflightResult | null;
  }
  async function prepareMove(onto: BestRef, quiet: boolean): Promise<Prepared> {
    const rebase = await timed('rebase', () => control.rebase(input, { sha: sha!, from: parentSha, onto: onto.sha, proposal: proposal! }), quiet);
    if (!rebase.ok) return { onto, rebase, preflight: null };
    const preflight = await timed('preflight', () => control.preflight(on(onto.sha), rebase.sha, rebase.changedFiles), quiet);
    return { onto, rebase, preflight };
  }

  /**
   * The best moved while this trial waited for a slot: carry its change onto the new best (and
   * preflight it again), or, where it conflicts, propose again on the new best.
   */
  async function moveOnto(onto: BestRef, ready: Prepared | null): Promise<Verdict | null> {
    const current = proposal!; // only a proposed trial waits for a rebase
    const prepared = ready?.onto.sha === onto.sha ? ready : await prepareMove(onto, false);
    let r = prepared.rebase;
    if (r.ok) {
      const merged = r;
      const adopted = await timed('adopt', () => control.adoptRebase(input, merged.sha));
      if (!adopted.ok) r = adopted;
    }
    const from = parentSha;
    parentSha = onto.sha;
    if (r.ok) {
      rebases.push({ from, onto: onto.sha, ontoIndex: onto.index, how: 'merged', ...(prepared === ready ? { prepared: true } : {}) });
      sha = r.sha;
      diff = r.diff;
      if (r.knobValues) proposal = { ...current, knobValues: r.knobValues };
      const pf = prepared.preflight!;
      return pf.ok ? null : fail(pf.label, pf.reason);
    }
    rebases.push({ from, onto: onto.sha, ontoIndex: onto.index, how: 'reproposed', reason: r.reason });
    if (reproposals() > MAX_REPROPOSALS) {
      return fail('apply_failed', `could not be carried onto the moving best: ${r.reason} (proposed again ${MAX_REPROPOSALS} times)`);
    }
    return prepare(onto.sha);
  }

  verdict = await (async (): Promise<Verdict> => {
    try {
      if (!baseline) {
        const failed = await prepare(parentSha);
        if (failed) return failed;
      } else {
        upsertMemo({ hypothesis: 'baseline recipe' });
      }

      const summary = () => (proposal?.hypothesis ?? 'baseline recipe').slice(0, 200);
      const req = (seed: number): SlotRequest => ({
        campaignId: input.campaignId,
        task: input.task,
        preset: input.preset,
        trialId: workflowId,
        sha: sha!,
        seed,
        evaluatorHash: input.evaluatorHash,
        parentSha,
      });
      /** The first train: the slot that takes it checks that the trial's parent is still the best. */
      const dispatch = async (seed: number): Promise<TrainResult | Verdict> => {
        for (;;) {
          enter('train');
          const t0 = Date.now();
          const rebaseIfStale = !baseline && input.rebase !== false;
          const queued = slot().train.executeWithOptions({ summary: `train: ${summary()}` }, [{ ...req(seed), rebaseIfStale }]);
          // While it waits for a slot, a best another trial announces gets its rebase prepared.
          let answered = false;
          queued.then(
            () => void (answered = true),
            () => void (answered = true),
          );
          let ready: Prepared | null = null;
          const aheadOfUs = () => announced !== null && announced.sha !== parentSha && announced.sha !== ready?.onto.sha;
          while (rebaseIfStale && !answered) {
            await condition(() => answered || aheadOfUs());
            if (!answered) ready = await prepareMove(announced!, true);
          }
          const r: TrainResult | StaleParent = await queued;
          if (!('stale' in r)) {
            stages.push(slotTiming('train', new Date(t0).toISOString(), r));
            return r;
          }
          stages.push({ stage: 'dispatch', startedAt: new Date(t0).toISOString(), seconds: (Date.now() - t0) / 1000 });
          const failed = await moveOnto(r.stale, ready);
          if (failed) return failed;
        }
      };
      /** One train and its evaluation on the slot that holds the outputs; a lost slot trains again, within the outage limit. */
      const trainAndEvaluate = async (seed: number): Promise<Verdict | null> => {
        const firstTrainAt = Date.now();
        for (;;) {
          let train: TrainResult;
          if (runs.length === 0) {
            const d = await dispatch(seed);
            if ('label' in d) return d;
            train = d;
          } else
            train = await onSlot('train', async () => (await slot().train.executeWithOptions({ summary: `train: ${summary()}` }, [req(seed)])) as TrainResult);
          try {
            // The harness's own wall-clock of the train run, for timing metrics.
            const evaluate = await onSlot('evaluate', () => slot(train.slotQueue).evaluate({ ...req(seed), trainSeconds: train.wallS }));
            runs.push({ train, evaluate });
            return null;
          } catch (err) {
            if (!isSlotLost(err) || Date.now() - firstTrainAt > outageS * 1000) throw err;
          }
        }
      };
      for (let repeat = 0; repeat < (input.limits.repeats ?? 1); repeat++) {
        const failed = await trainAndEvaluate(input.seed);
        if (failed) return failed;
      }
      const first = await timed('judge', () => control.judge(on(parentSha), runs));
      const confirm = input.limits.confirm ?? 0;
      // A keep on one seed may be luck: it must hold, as the median over fresh seeds too, before it becomes the best.
      if (!first.keep || confirm === 0 || !patched('confirm-keep')) return first;
      for (let k = 1; k <= confirm; k++) await trainAndEvaluate(input.seed + k);
      return await timed('confirm', () => control.judge(on(parentSha), runs));
    } catch (err) {
      if (err instanceof ActivityFailure || err instanceof ApplicationFailure) return fail('infra_error', describe(err));
      throw err;
    }
  })();

  const record = trialRecord({
    trialId: workflowId,
    input,
    parentSha,
    rebases,
    sha,
    diff,
    proposal,
    verdict,
    runs,
    stages,
    usage,
    finishedAt: new Date().toISOString(),
  });
  enter('record');
  await durable.record(record);
  upsertSearchAttributes([{ key: SA.label, value: verdict.label }, ...(verdict.score !== null ? [{ key: SA.score, value: verdict.score }] : [])]);
  return trialOutcome(record, slotSeconds(stages));
}
