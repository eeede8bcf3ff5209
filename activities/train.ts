import { Context } from '@temporalio/activity';
import type { Runtime } from '../src/runtime.js';
import type { SlotPool } from '../src/runner/slotPool.js';
import { trainOnSlot, type SlotRequest } from '../src/stages/trainAndEvaluate.js';
import { nonRetryable } from './failures.js';

export const trainActivities = (rt: Runtime, pool: SlotPool) => ({
  async train(req: SlotRequest) {
    const ctx = Context.current();
    const hooks = { attempt: ctx.info.attempt, heartbeat: (line: string) => ctx.heartbeat(line), signal: ctx.cancellationSignal };
    return pool.train(req.trialId, (slot) => nonRetryable(() => trainOnSlot(rt, slot, req, hooks)), () => ctx.heartbeat('waiting for a free slot'));
  },
});
