import type { Runtime } from '../src/runtime.js';
import type { Proposal, TrialInput } from '../src/types.js';
import { applyProposal } from '../src/stages/apply.js';
import { adoptRebase, rebaseTrial } from '../src/stages/rebase.js';

export const applyActivities = (rt: Runtime) => ({
  async apply(input: TrialInput, proposal: Proposal) {
    return applyProposal(rt, input, proposal);
  },
  async rebase(input: TrialInput, step: { sha: string; from: string; onto: string; proposal: Proposal }) {
    return rebaseTrial(rt, input, step);
  },
  async adoptRebase(input: TrialInput, sha: string) {
    return adoptRebase(rt, input, sha);
  },
});
