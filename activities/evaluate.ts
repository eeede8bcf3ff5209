import { Context } from '@temporalio/activity';
import type { Runtime } from '../src/runtime.js';
import type { EvaluateResult } from '../src/types.js';
import type { SlotPool } from '../src/runner/slotPool.js';
import { evaluateOnSlot, type SlotRequest } from '../src/stages/trainAndEvaluate.js';
import { nonRetryable } from './failures.js';
import { stageHeartbeat } from './heartbeat.js';

/** One evaluate activity per slot: it is served on that slot's own queue. */
export const evaluateActivities = (rt: Runtime, pool: SlotPool, slotId: string) => ({
  async evaluate(req: SlotRequest): Promise<EvaluateResult> {
    const ctx = Context.current();
    const hooks = { attempt: ctx.info.attempt, heartbeat: stageHeartbeat(ctx), signal: ctx.cancellationSignal };
    return pool.evaluate(slotId, req.trialId, async (slot) => {
      const slotStartMs = Date.now();
      const queuedS = (slotStartMs - ctx.info.currentAttemptScheduledTimestampMs) / 1000;
      const run = await nonRetryable(() => evaluateOnSlot(rt, slot, req, hooks));
      return { ...run, queuedS, attempt: ctx.info.attempt, slotStartMs, slotEndMs: Date.now() };
    });
  },
});
