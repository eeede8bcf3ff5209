import type { Runtime } from '../src/runtime.js';
import type { TrialRecord } from '../src/types.js';
import { recordTrial } from '../src/stages/record.js';

export const recordActivities = (rt: Runtime) => ({
  async record(record: TrialRecord) {
    return recordTrial(rt, record);
  },
});
