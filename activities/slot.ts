// A slot worker's activities: train on the shared GPU queue (any free slot of this worker), and
// evaluate on each slot's own queue, where that slot's train outputs are.
import { Context } from '@temporalio/activity';
import type { StageDeps } from '../src/stageDeps.js';
import type { EvaluateResult, StaleParent, TrainResult } from '../src/types.js';
import type { SlotPool } from '../src/runner/slotPool.js';
import { campaignBest, evaluateOnSlot, trainOnSlot, type SlotRequest } from '../src/stages/trainAndEvaluate.js';
import { nonRetryable } from './failures.js';
import { stageHeartbeat } from './heartbeat.js';

export const createTrainActivities = (deps: StageDeps, pool: SlotPool) => ({
  /** Dispatch happens here: the moment a slot takes the train, it reads the campaign's best; a stale parent is answered at once and the slot stays free. */
  async train(req: SlotRequest): Promise<TrainResult | StaleParent> {
    const ctx = Context.current();
    const heartbeat = stageHeartbeat(ctx);
    const hooks = { attempt: ctx.info.attempt, heartbeat, signal: ctx.cancellationSignal };
    return pool.train(
      req.trialId,
      async (slot): Promise<TrainResult | StaleParent> => {
        const slotStartMs = Date.now();
        const queuedS = (slotStartMs - ctx.info.currentAttemptScheduledTimestampMs) / 1000;
        const best = await campaignBest(deps, req.campaignId);
        if (req.rebaseIfStale && best && req.parentSha && best.sha !== req.parentSha) return { stale: best };
        const run = await nonRetryable(() => trainOnSlot(deps, slot, req, hooks));
        return { ...run, queuedS, bestAtStart: best, slotStartMs, slotEndMs: Date.now() };
      },
      () => heartbeat('waiting for a free slot'),
      (r) => !('stale' in r),
    );
  },
});

/** One evaluate activity per slot: it is served on that slot's own queue. */
export const createEvaluateActivities = (deps: StageDeps, pool: SlotPool, slotId: string) => ({
  async evaluate(req: SlotRequest): Promise<EvaluateResult> {
    const ctx = Context.current();
    const hooks = { attempt: ctx.info.attempt, heartbeat: stageHeartbeat(ctx), signal: ctx.cancellationSignal };
    return pool.evaluate(slotId, req.trialId, async (slot) => {
      const slotStartMs = Date.now();
      const queuedS = (slotStartMs - ctx.info.currentAttemptScheduledTimestampMs) / 1000;
      const run = await nonRetryable(() => evaluateOnSlot(deps, slot, req, hooks));
      return { ...run, queuedS, attempt: ctx.info.attempt, slotStartMs, slotEndMs: Date.now() };
    });
  },
});

/** Served by a slot worker: train on the shared queue, evaluate on each slot's own. */
export type SlotActivities = ReturnType<typeof createTrainActivities> & ReturnType<typeof createEvaluateActivities>;
