import type { Runtime } from '../src/runtime.js';
import type { TrialInput } from '../src/types.js';
import { propose } from '../src/proposers/propose.js';

export const proposeActivities = (rt: Runtime) => ({
  async propose(input: TrialInput) {
    const parentFiles = await rt.repository(input.campaignId).snapshot(input.parentSha);
    return propose(input, { store: rt.store, task: rt.task(input.task, input.preset), parentFiles });
  },
});
