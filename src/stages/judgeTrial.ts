// judge: legality and keep/discard against the campaign's best at the time of judging
// (parallel trials may have moved it since this trial started).
import type { Runtime } from '../runtime.js';
import type { EvaluateResult, TrainResult, TrialInput, Verdict } from '../types.js';
import { judge } from '../judge.js';

export async function judgeTrial(rt: Runtime, input: TrialInput, train: TrainResult, evaluate: EvaluateResult): Promise<Verdict> {
  const { spec } = rt.task(input.task, input.preset);
  const campaign = await rt.store.campaigns.findOne({ _id: input.campaignId }, { projection: { best: 1 } });
  const best = input.specialist === 'baseline' ? null : (campaign?.best?.score ?? null);
  return judge({
    train,
    evaluate,
    direction: spec.metric.direction,
    minDelta: spec.keep_rule.min_delta,
    best,
    trainBudgetS: spec.train.budget_s,
    evalBudgetS: spec.evaluate.budget_s,
  });
}
