// `lineage import`: thin wrapper over src/export/importResults.ts. The metric direction comes from
// --direction, or from the task's spec when a task of that name exists here. What the import did to
// each line goes to stderr; the per-label counts and the best score to stdout, to hold against the
// paper's tables.
import path from 'node:path';
import { Store, type CampaignDoc, type TrialDoc } from '../store/db.js';
import { importResults, type ImportNote } from '../export/importResults.js';
import { expId } from '../export/blackboard.js';
import { LABELS } from '../types.js';
import { loadTask } from '../task/spec.js';

interface ImportCliOptions {
  campaignId: string;
  task: string;
  metric?: string;
  direction?: string;
  strict?: boolean;
  tree?: string;
}

const count = (xs: string[]) => [...xs.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<string, number>())];

/** The lines `lineage import` prints after the import: counts by label, the statuses mapped, baseline and best. */
function importSummary(campaign: CampaignDoc, trials: TrialDoc[], notes: ImportNote[], file: string): string[] {
  const metric = campaign.metric.name;
  const n = (k: ImportNote['kind']) => notes.filter((x) => x.kind === k).length;
  const labels = LABELS.map((l) => [l, trials.filter((t) => t.label === l).length] as const).filter(([, c]) => c > 0);
  const mapped = count(trials.filter((t) => t.sourceStatus !== undefined && t.sourceStatus !== t.label).map((t) => `${t.sourceStatus} → ${t.label}`));
  const root = trials[0]!;
  const best = campaign.best;
  return [
    `imported ${trials.length} trials into campaign ${campaign._id} (metric ${metric}, ${campaign.metric.direction}) from ${file}: ${n('recovered')} rows recovered, ${n('skipped')} skipped`,
    `labels: ${labels.map(([l, c]) => `${l} ${c}`).join(' · ')}`,
    ...(mapped.length ? [`  mapped from the file's statuses: ${mapped.map(([m, c]) => `${m} ${c}`).join(' · ')}`] : []),
    `baseline ${metric} ${root.score ?? '—'} (${expId(root.index)}) · best ${metric} ${best ? `${best.score} (${expId(best.index)})` : '— (no kept trial)'} · ${trials.filter((t) => t.keep && t !== root).length} keeps after the baseline`,
    `draw it with: lineage report ${campaign._id}`,
  ];
}

export async function runImport(file: string, o: ImportCliOptions): Promise<void> {
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
    const r = await importResults(store, { file, campaignId: o.campaignId, task: o.task, metric: o.metric, direction, strict: o.strict, tree: o.tree });
    for (const note of r.notes) console.error(`${note.kind}: ${note.message}`);
    for (const line of importSummary(r.campaign, r.trials, r.notes, path.basename(file))) console.log(line);
  } finally {
    await store.close();
  }
}
