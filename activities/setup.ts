import type { Runtime } from '../src/runtime.js';
import type { CampaignInput } from '../src/types.js';
import { setupCampaign } from '../src/stages/setup.js';

export const setupActivities = (rt: Runtime) => ({
  async setupCampaign(input: CampaignInput, startedAt: string) {
    return setupCampaign(rt, input, startedAt); // wrapped by withHeartbeats: bad input fails at once
  },
});
