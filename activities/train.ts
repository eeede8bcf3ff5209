import { Context } from '@temporalio/activity';
import type { Runtime } from '../src/runtime.js';
import type { TrainResult } from '../src/types.js';
import type { SlotPool } from '../src/runner/slotPool.js';
import { trainOnSlot, type SlotRequest } from '../src/stages/trainAndEvaluate.js';
import { nonRetryable } from './failures.js';
import { stageHeartbeat } from './heartbeat.js';

export const trainActivities = (rt: Runtime, pool: SlotPool) => ({
  async train(req: SlotRequest): Promise<TrainResult> {
    const ctx = Context.current();
    const heartbeat = stageHeartbeat(ctx);
    const hooks = { attempt: ctx.info.attempt, heartbeat, signal: ctx.cancellationSignal };
    return pool.train(
      req.trialId,
      async (slot) => {
        const queuedS = (Date.now() - ctx.info.currentAttemptScheduledTimestampMs) / 1000;
        return { ...(await nonRetryable(() => trainOnSlot(rt, slot, req, hooks))), queuedS };
      },
      () => heartbeat('waiting for a free slot'),
    );
  },
});
