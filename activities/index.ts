// Activities are thin adapters: each stage's logic lives in src/stages.
import type { Runtime } from '../src/runtime.js';
import { setupActivities } from './setup.js';
import { proposeActivities } from './propose.js';
import { applyActivities } from './apply.js';
import { preflightActivities } from './preflight.js';
import { trainActivities } from './train.js';
import { evaluateActivities } from './evaluate.js';
import { judgeActivities } from './judge.js';
import { recordActivities } from './record.js';
import { withHeartbeats } from './heartbeat.js';

/** Served on the control queue: everything but GPU work, each heartbeating while it runs. */
export const controlActivities = (rt: Runtime) =>
  withHeartbeats({
    ...setupActivities(rt),
    ...proposeActivities(rt),
    ...applyActivities(rt),
    ...preflightActivities(rt),
    ...judgeActivities(rt),
    ...recordActivities(rt),
  });


export type ControlActivities = ReturnType<typeof controlActivities>;
/** Served by a GPU worker: train on the shared GPU queue (any free slot), evaluate on each slot's own queue. */
export type SlotActivities = ReturnType<typeof trainActivities> & ReturnType<typeof evaluateActivities>;
export { trainActivities, evaluateActivities };
