// Campaign setup: the recipe repository with its baseline commit, the pinned evaluator hash,
// and the campaign document. Idempotent, so a retried or resumed campaign finds the same state.
import type { StageDeps } from '../stageDeps.js';
import type { CampaignInput, CampaignSetup } from '../types.js';
import { hashEvaluator } from '../task/evaluatorHash.js';
import { saveSnapshot } from '../recipe/snapshot.js';
import { rosterNames } from '../roster.js';
import { checkClaudeConfig } from '../proposers/claude/settings.js';
import { assertTaskReady } from '../services/hostSetup.js';
import { optunaProblem } from '../proposers/optuna.js';
import { isRefusedWrite } from '../store/db.js';

/** The campaign input does not fit its task: retrying cannot help. */
export class CampaignInputError extends Error {
  override name = 'CampaignInputError';
}

export async function setupCampaign(deps: StageDeps, input: CampaignInput, startedAt: string): Promise<CampaignSetup> {
  const preset = input.preset ?? 'cpu';
  const task = deps.task(input.task, preset);
  // The control host runs preflight (the task's size projection): its Python must be ready too.
  await assertTaskReady(task).catch((err: Error) => {
    throw new CampaignInputError(err.message);
  });
  const existing = await deps.store.campaigns.findOne({ _id: input.campaignId });
  if (existing && existing.task !== task.spec.name) {
    throw new CampaignInputError(`campaign ${input.campaignId} already exists for task ${existing.task}, not ${task.spec.name}`);
  }
  const roster = rosterNames(task.spec, input.roster);
  const unknown = (input.specialists ?? []).filter((s) => !roster.includes(s));
  if (unknown.length) throw new CampaignInputError(`specialists ${unknown.join(', ')} are not in task ${task.spec.name}'s roster (${roster.join(', ')})`);
  if (input.proposer.kind === 'claude') {
    const problem = checkClaudeConfig(input.proposer, roster, process.env);
    if (problem) throw new CampaignInputError(problem);
  }
  const optimizerField =
    input.proposer.kind === 'optuna' ? 'proposer' : input.proposer.kind === 'claude' && input.proposer.optimizer ? 'proposer.optimizer' : null;
  if (optimizerField) {
    const problem = await optunaProblem(task.spec, optimizerField);
    if (problem) throw new CampaignInputError(problem);
  }
  const repo = deps.repository(input.campaignId);
  const baselineSha = await repo.init(task.recipeDir, startedAt, task.recipeFiles);
  await saveSnapshot(deps.store, input.campaignId, baselineSha, await repo.snapshot(baselineSha));
  const evaluatorHash = existing?.evaluatorHash ?? hashEvaluator(task.evaluatorDir);
  const metric = task.spec.metric;
  await deps.store.campaigns
    .updateOne(
      { _id: input.campaignId },
      {
        $setOnInsert: {
          task: task.spec.name,
          preset,
          input,
          baselineSha,
          evaluatorHash,
          metric,
          createdAt: startedAt,
          best: null,
          baseline: null,
        },
      },
      { upsert: true },
    )
    .catch((err: unknown) => {
      throw isRefusedWrite(err) ? new CampaignInputError(`the campaign input cannot be stored in MongoDB: ${err.message}`) : err;
    });
  return {
    baselineSha,
    evaluatorHash,
    specialists: input.specialists?.length ? input.specialists : roster,
    direction: metric.direction,
    limits: {
      trainS: task.spec.train.seeds * (task.spec.train.budget_s + task.spec.train.grace_s), // one budgeted run per seed
      evalS: task.spec.evaluate.budget_s + task.spec.evaluate.grace_s,
      repeats: task.spec.keep_rule.repeats,
      confirm: task.spec.keep_rule.confirm,
    },
  };
}
