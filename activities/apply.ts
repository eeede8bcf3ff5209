import type { Runtime } from '../src/runtime.js';
import type { Proposal, TrialInput } from '../src/types.js';
import { applyProposal } from '../src/stages/apply.js';

export const applyActivities = (rt: Runtime) => ({
  async apply(input: TrialInput, proposal: Proposal) {
    return applyProposal(rt, input, proposal);
  },
});
