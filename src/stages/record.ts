// record: the trial document (idempotent by trial id) and the campaign's best.
import type { StageDeps } from '../stageDeps.js';
import type { BestRef, TrialRecord } from '../types.js';
import { dropInFlight, noteOutcome } from '../lineage/summary.js';
import { isBaseline } from '../ids.js';

/** Returns the campaign's new best when this trial became it, else null. */
export async function recordTrial(deps: StageDeps, record: TrialRecord): Promise<BestRef | null> {
  const { store } = deps;
  await store.trials.replaceOne({ _id: record.trialId }, { ...record, recordedAt: new Date().toISOString() }, { upsert: true });
  // An infra_error is no research outcome: proposers do not learn from it, and the campaign runs
  // the index again, whose outcome is the one the lineage keeps.
  if (record.label === 'infra_error') {
    await dropInFlight(store.lineage, record.campaignId, record.index);
    return null;
  }
  await noteOutcome(store.lineage, record);
  if (isBaseline(record)) {
    await store.campaigns.updateOne({ _id: record.campaignId }, { $set: { baseline: { score: record.score, label: record.label, spread: record.spread } } });
  }
  if (!record.keep || record.score === null || record.sha === null) return null;
  const campaign = await store.campaigns.findOne({ _id: record.campaignId }, { projection: { metric: 1 } });
  const better = campaign?.metric.direction === 'maximize' ? '$lt' : '$gt';
  // Conditional: a slower trial that was kept against an older best never moves the best back.
  const moved = await store.campaigns.updateOne(
    { _id: record.campaignId, $or: [{ best: null }, { [`best.score`]: { [better]: record.score } }] },
    { $set: { best: { trialId: record.trialId, index: record.index, score: record.score, sha: record.sha } } },
  );
  return moved.modifiedCount > 0 ? { sha: record.sha, index: record.index } : null;
}
