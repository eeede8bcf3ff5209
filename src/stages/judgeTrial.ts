// judge: legality and keep/discard against the campaign's best at the time of judging
// (parallel trials may have moved it since this trial started).
import type { StageDeps } from '../stageDeps.js';
import type { EvaluateResult, TrainResult, TrialInput, Verdict } from '../types.js';
import { judge } from '../judge.js';
import { isBaseline } from '../ids.js';

export async function judgeTrial(deps: StageDeps, input: TrialInput, runs: { train: TrainResult; evaluate: EvaluateResult }[]): Promise<Verdict> {
  const { spec } = deps.task(input.task, input.preset);
  const campaign = await deps.store.campaigns.findOne({ _id: input.campaignId }, { projection: { best: 1, baseline: 1 } });
  const baseline = isBaseline(input);
  return judge({
    runs,
    direction: spec.metric.direction,
    rule: { minDelta: spec.keep_rule.min_delta, noiseSigmas: spec.keep_rule.noise_sigmas },
    best: baseline ? null : (campaign?.best?.score ?? null),
    baselineSpread: campaign?.baseline?.spread ?? null,
    trainBudgetS: spec.train.budget_s,
    evalBudgetS: spec.evaluate.budget_s,
    sizeCapBytes: spec.size?.cap_bytes ?? null,
    plausible: spec.plausible ?? null,
  });
}
