import { Context } from '@temporalio/activity';
import type { Runtime } from '../src/runtime.js';
import type { Slot } from '../src/runner/slot.js';
import { evaluateOnSlot, type SlotRequest } from '../src/stages/trainAndEvaluate.js';
import { nonRetryable } from './failures.js';
import { gateFor } from '../src/runner/slotGate.js';

export const evaluateActivities = (rt: Runtime, slot: Slot) => ({
  async evaluate(req: SlotRequest) {
    const ctx = Context.current();
    const hooks = { attempt: ctx.info.attempt, heartbeat: (line: string) => ctx.heartbeat(line), signal: ctx.cancellationSignal };
    return gateFor(slot.id).evaluate(req.trialId, () => nonRetryable(() => evaluateOnSlot(rt, slot, req, hooks)));
  },
});
