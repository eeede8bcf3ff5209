// Activities are thin adapters: each stage's logic lives in src/stages.
import type { Runtime } from '../src/runtime.js';
import type { Slot } from '../src/runner/slot.js';
import { setupActivities } from './setup.js';
import { proposeActivities } from './propose.js';
import { applyActivities } from './apply.js';
import { preflightActivities } from './preflight.js';
import { trainActivities } from './train.js';
import { evaluateActivities } from './evaluate.js';
import { judgeActivities } from './judge.js';
import { recordActivities } from './record.js';

/** Served on the control queue: everything but GPU work. */
export const controlActivities = (rt: Runtime) => ({
  ...setupActivities(rt),
  ...proposeActivities(rt),
  ...applyActivities(rt),
  ...preflightActivities(rt),
  ...judgeActivities(rt),
  ...recordActivities(rt),
});

/** Served by one slot: train on the shared GPU queue, evaluate on the slot's own queue. */
export const slotActivities = (rt: Runtime, slot: Slot) => ({
  ...trainActivities(rt, slot),
  ...evaluateActivities(rt, slot),
});

export type ControlActivities = ReturnType<typeof controlActivities>;
export type SlotActivities = ReturnType<typeof slotActivities>;
