import type { Runtime } from '../src/runtime.js';
import type { CampaignInput } from '../src/types.js';
import { setupCampaign } from '../src/stages/setup.js';
import { nonRetryable } from './failures.js';

export const setupActivities = (rt: Runtime) => ({
  async setupCampaign(input: CampaignInput, startedAt: string) {
    return nonRetryable(() => setupCampaign(rt, input, startedAt));
  },
});
