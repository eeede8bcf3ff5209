import type { Runtime } from '../src/runtime.js';
import type { EvaluateResult, TrainResult, TrialInput } from '../src/types.js';
import { judgeTrial } from '../src/stages/judgeTrial.js';

export const judgeActivities = (rt: Runtime) => ({
  async judge(input: TrialInput, runs: { train: TrainResult; evaluate: EvaluateResult }[]) {
    return judgeTrial(rt, input, runs);
  },
});
