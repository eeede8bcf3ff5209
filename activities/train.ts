import { Context } from '@temporalio/activity';
import type { Runtime } from '../src/runtime.js';
import type { StaleParent, TrainResult } from '../src/types.js';
import type { SlotPool } from '../src/runner/slotPool.js';
import { campaignBest, trainOnSlot, type SlotRequest } from '../src/stages/trainAndEvaluate.js';
import { nonRetryable } from './failures.js';
import { stageHeartbeat } from './heartbeat.js';

export const trainActivities = (rt: Runtime, pool: SlotPool) => ({
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
        const best = await campaignBest(rt, req.campaignId);
        if (req.rebaseIfStale && best && req.parentSha && best.sha !== req.parentSha) return { stale: best };
        const run = await nonRetryable(() => trainOnSlot(rt, slot, req, hooks));
        return { ...run, queuedS, bestAtStart: best, slotStartMs, slotEndMs: Date.now() };
      },
      () => heartbeat('waiting for a free slot'),
      (r) => !('stale' in r),
    );
  },
});
