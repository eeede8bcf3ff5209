// `lineage export`: a campaign as trials.jsonl (the full trial documents) and as the paper's
// released blackboard (cxcscmu/Auto-Research-Recipes release_artifacts): results.tsv, one row per
// trial in index order, and tree.tsv, the same rows in lineage preorder.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Store } from '../store/db.js';
import { loadTrajectory, parentIndexes, preorder, stageSeconds, type Trajectory } from '../report/trajectory.js';
import { formatTsv } from './tsv.js';

/** The paper's columns, in its order; the score column takes the task's metric name. */
export const paperColumns = (metric: string) => [
  'exp_id',
  'timestamp',
  'specialist',
  'parent_exp',
  'baseline_exp',
  'domain',
  'hypothesis',
  'expected_delta',
  'status',
  metric,
  'delta_vs_best',
  'artifact_bytes',
  'train_s',
  'eval_s',
  'total_s',
  'job_name',
  'snapshot_path',
  'notes',
];
/** Ours, appended after the paper's: what a report needs that the paper's rows do not carry. */
const LINEAGE_COLUMNS = ['sha', 'parent_sha', 'finished_at', 'input_tokens', 'output_tokens', 'dollars'];

function resultsColumns(metric: string): string[] {
  const paper = paperColumns(metric);
  if (paper.indexOf(metric) !== paper.lastIndexOf(metric) || LINEAGE_COLUMNS.includes(metric)) {
    throw new Error(`lineage: the metric name "${metric}" is also a results.tsv column; rename the metric`);
  }
  return [...paper, ...LINEAGE_COLUMNS];
}

/** exp_000, exp_001, … exp_999, exp_1000: zero-padded to three digits like the paper's exp_750. */
export const expId = (index: number) => `exp_${String(index).padStart(3, '0')}`;
/** An exp id as a file may write it: ours and part of the paper's carry `exp_`, most of the paper's are bare ("000"). */
export const EXP_ID = /^(?:exp_)?(\d+)$/;

/** Numbers as JavaScript's shortest round-trip form, so an export re-imports to the same value. */
const n = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? '' : String(x));
const secs = (x: number | null) => (x === null ? '' : String(Number(x.toFixed(6))));

function resultRows({ campaign, trials }: Trajectory): Record<string, string>[] {
  const parents = parentIndexes(trials);
  const byIndex = new Map(trials.map((t) => [t.index, t]));
  const metric = campaign.metric.name;
  return trials.map((t) => {
    const parent = byIndex.get(parents.get(t.index) ?? -1);
    const stages = (t.stages ?? []).length > 0;
    const artifact = t.metrics?.artifact_bytes;
    return {
      exp_id: expId(t.index),
      timestamp: t.startedAt,
      specialist: t.specialist,
      parent_exp: parent ? expId(parent.index) : '',
      // A campaign starts every trial from the best commit at that moment, so the parent is also the best at submit time.
      baseline_exp: parent ? expId(parent.index) : '',
      domain: t.specialist,
      hypothesis: t.hypothesis,
      expected_delta: n(t.proposal?.expectedDelta),
      status: t.label,
      [metric]: n(t.score),
      delta_vs_best: t.score !== null && parent?.score !== null && parent?.score !== undefined ? n(t.score - parent.score) : '',
      artifact_bytes: n(typeof artifact === 'number' ? artifact : null),
      train_s: secs(stageSeconds(t, 'train')),
      eval_s: secs(stageSeconds(t, 'evaluate')),
      total_s: stages ? secs(t.stages.reduce((s, x) => s + x.seconds, 0)) : '',
      job_name: t.trialId,
      snapshot_path: t.keep && t.sha ? t.sha : '',
      notes: t.reason,
      sha: t.sha ?? '',
      parent_sha: t.parentSha ?? '',
      finished_at: t.finishedAt,
      input_tokens: String(t.usage?.inputTokens ?? 0),
      output_tokens: String(t.usage?.outputTokens ?? 0),
      dollars: String(t.usage?.dollars ?? 0),
    };
  });
}

interface Exported {
  dir: string;
  trials: number;
  files: string[];
}

export async function exportCampaign(store: Store, campaignId: string, dir: string): Promise<Exported> {
  const trajectory = await loadTrajectory(store, campaignId);
  const columns = resultsColumns(trajectory.campaign.metric.name);
  const rows = resultRows(trajectory);
  const order = new Map(preorder(trajectory.trials).map((t, i) => [t.index, i]));
  const treeRows = trajectory.trials
    .map((t, i) => ({ row: rows[i]!, at: order.get(t.index)! }))
    .sort((a, b) => a.at - b.at)
    .map((x) => x.row);
  await mkdir(dir, { recursive: true });
  const files = {
    'trials.jsonl': trajectory.trials.map((t) => JSON.stringify(t)).join('\n') + (trajectory.trials.length ? '\n' : ''),
    'results.tsv': formatTsv(columns, rows),
    'tree.tsv': formatTsv(columns, treeRows),
    'campaign.json': JSON.stringify(trajectory.campaign, null, 2) + '\n',
  };
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
  return { dir: path.resolve(dir), trials: trajectory.trials.length, files: Object.keys(files) };
}
