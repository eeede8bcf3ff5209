// Activities are thin adapters: each stage's logic lives in src/.
export { createControlActivities, type ControlActivities } from './control.js';
export { createEvaluateActivities, createTrainActivities, type SlotActivities } from './slot.js';
