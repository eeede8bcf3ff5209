// `lineage import`: thin wrapper over src/export/importResults.ts. The metric direction comes from
// --direction, or from the task's spec when a task of that name exists here.
import { Store } from '../store/db.js';
import { importResults } from '../export/importResults.js';
import { loadTask } from '../task/spec.js';

export async function runImport(file: string, o: { campaignId: string; task: string; metric?: string; direction?: string }): Promise<void> {
  let direction = o.direction;
  if (direction === undefined) {
    try {
      direction = loadTask(o.task).spec.metric.direction;
    } catch {
      throw new Error(`lineage import: no task "${o.task}" here to take the metric direction from; pass --direction minimize|maximize`);
    }
  }
  if (direction !== 'minimize' && direction !== 'maximize') throw new Error(`lineage import: --direction must be minimize or maximize, not "${direction}"`);
  const store = await Store.connect();
  try {
    const r = await importResults(store, { file, campaignId: o.campaignId, task: o.task, metric: o.metric, direction });
    console.log(`imported ${r.trials} trials into campaign ${r.campaignId} (metric ${r.metric}, ${direction}); draw it with: lineage report ${r.campaignId}`);
  } finally {
    await store.close();
  }
}
