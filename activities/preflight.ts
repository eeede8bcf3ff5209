import type { Runtime } from '../src/runtime.js';
import type { TrialInput } from '../src/types.js';
import { preflight } from '../src/stages/preflight.js';

export const preflightActivities = (rt: Runtime) => ({
  async preflight(input: TrialInput, sha: string, changedFiles: string[]) {
    return preflight(rt, input, sha, changedFiles);
  },
});
