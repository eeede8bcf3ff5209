import { Context } from '@temporalio/activity';
import type { Runtime } from '../src/runtime.js';
import type { SlotPool } from '../src/runner/slotPool.js';
import { evaluateOnSlot, type SlotRequest } from '../src/stages/trainAndEvaluate.js';
import { nonRetryable } from './failures.js';

/** One evaluate activity per slot: it is served on that slot's own queue. */
export const evaluateActivities = (rt: Runtime, pool: SlotPool, slotId: string) => ({
  async evaluate(req: SlotRequest) {
    const ctx = Context.current();
    const hooks = { attempt: ctx.info.attempt, heartbeat: (line: string) => ctx.heartbeat(line), signal: ctx.cancellationSignal };
    return pool.evaluate(slotId, req.trialId, (slot) => nonRetryable(() => evaluateOnSlot(rt, slot, req, hooks)));
  },
});
