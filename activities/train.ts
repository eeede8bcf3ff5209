import { Context } from '@temporalio/activity';
import type { Runtime } from '../src/runtime.js';
import type { Slot } from '../src/runner/slot.js';
import { trainOnSlot, type SlotRequest } from '../src/stages/trainAndEvaluate.js';
import { nonRetryable } from './failures.js';
import { gateFor } from '../src/runner/slotGate.js';

export const trainActivities = (rt: Runtime, slot: Slot) => ({
  async train(req: SlotRequest) {
    const ctx = Context.current();
    const hooks = { attempt: ctx.info.attempt, heartbeat: (line: string) => ctx.heartbeat(line), signal: ctx.cancellationSignal };
    return gateFor(slot.id).train(req.trialId, () => nonRetryable(() => trainOnSlot(rt, slot, req, hooks)), () => ctx.heartbeat('waiting for the slot'));
  },
});
