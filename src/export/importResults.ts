// `lineage import`: a blackboard results.tsv (the paper's released runs as they are, or our own
// export) into MongoDB as a campaign and its trials, so `lineage report` and `compare` draw it.
// A malformed row is recovered when the text allows (rowRecovery.ts) and otherwise skipped with a
// note naming its line; with `strict` the first such row refuses the file. The whole file is read
// before anything is written.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LABELS, type Label, type Proposal, type StageTiming } from '../types.js';
import { trialId } from '../ids.js';
import type { CampaignDoc, Store, TrialDoc } from '../store/db.js';
import { EXP_ID, expId } from './blackboard.js';
import { parseTsv, TsvError, type TsvRecord } from './tsv.js';
import { labelOf, RELEASE_STATUSES } from './statusMap.js';
import { joinedColumns, leakedMarkup, proposedDelta } from './rowRecovery.js';
import { checkTree } from './treeCheck.js';
import { bestKept, type Direction } from '../metric.js';

interface ImportOptions {
  file: string;
  campaignId: string;
  task: string;
  /** The score column; by default the column after `status`, where the paper puts it. */
  metric?: string;
  direction: Direction;
  /** Refuse the file at its first row that would need repair or skipping. */
  strict?: boolean;
  /** The same run's tree.tsv: its parents and statuses are checked against results.tsv's. */
  tree?: string;
}

/** Something the import did about a line: repaired it, skipped it, or found it disagreeing. */
export interface ImportNote {
  kind: 'recovered' | 'skipped' | 'parent' | 'tree';
  message: string;
}

const REQUIRED = ['exp_id', 'timestamp', 'specialist', 'parent_exp', 'hypothesis', 'status'];
/** Columns read for what they are; any other numeric column is kept in the trial's `metrics`. */
const NAMED = new Set([
  ...REQUIRED,
  'baseline_exp',
  'domain',
  'expected_delta',
  'delta_vs_best',
  'job_name',
  'snapshot_path',
  'notes',
  'sha',
  'parent_sha',
  'finished_at',
  'input_tokens',
  'output_tokens',
  'dollars',
  'train_s',
  'eval_s',
  'total_s',
]);

/** A row that cannot be read: its message names the file, line and column. */
class RowProblem extends Error {}

interface Row {
  line: number;
  index: number;
  parent: number | null;
  label: Label;
  get: (c: string) => string;
  num: (c: string) => number | null;
  hypothesis: string;
  rationale: string;
  expectedDelta: number | null;
  repairs: string[];
}

function readRow(cols: string[], rec: TsvRecord, file: string, metric: string): Row {
  const { line } = rec;
  const repairs: string[] = [];
  let cells = rec.cells;
  if (rec.trailing !== undefined) {
    const joined = joinedColumns(cols, rec);
    if ('error' in joined) throw new RowProblem(`${file} line ${line}: ${joined.error}`);
    cells = joined.cells;
    repairs.push(`split ${cols.length - rec.cells.length} space-joined columns after the quoted ${cols[rec.cells.length - 1]}`);
  }
  if (cells.length !== cols.length) throw new RowProblem(`${file} line ${line}: ${cells.length} fields, the header has ${cols.length}`);
  const at = new Map(cols.map((c, i) => [c, i]));
  const get = (c: string) => (at.has(c) ? cells[at.get(c)!]! : '');
  const bad = (c: string, why: string): never => {
    throw new RowProblem(`${file} line ${line}, column ${c}: ${JSON.stringify(get(c))} ${why}`);
  };
  const num = (c: string): number | null => {
    const v = get(c).trim();
    if (v === '') return null;
    const x = Number(v);
    return Number.isFinite(x) ? x : bad(c, 'is not a number');
  };
  const id = EXP_ID.exec(get('exp_id')) ?? bad('exp_id', 'is not an exp id (NNN or exp_NNN)');
  if (Number.isNaN(Date.parse(get('timestamp')))) bad('timestamp', 'is not an ISO-8601 time');
  if (!get('specialist')) bad('specialist', 'is empty');
  const parent = get('parent_exp') ? (EXP_ID.exec(get('parent_exp')) ?? bad('parent_exp', 'is not an exp id (NNN or exp_NNN)')) : null;
  const label =
    labelOf(get('status')) ??
    bad('status', `is not a label (one of ${LABELS.join(', ')}) nor a status of the paper's runs (${Object.keys(RELEASE_STATUSES).join(', ')})`);
  for (const c of [metric, 'input_tokens', 'output_tokens', 'dollars', 'train_s', 'eval_s', 'total_s', 'artifact_bytes']) num(c);

  let hypothesis = get('hypothesis');
  let rationale = '';
  const leaked = leakedMarkup(hypothesis);
  if (leaked) {
    ({ hypothesis, notes: rationale } = leaked);
    repairs.push("cut the proposer's tool-call markup from the hypothesis (its notes became the proposal's rationale)");
  }
  const rawDelta = get('expected_delta').trim();
  const expectedDelta = proposedDelta(rawDelta);
  if (rawDelta !== '' && !Number.isFinite(Number(rawDelta))) {
    repairs.push(
      expectedDelta === null
        ? `dropped expected_delta ${JSON.stringify(rawDelta)} (not a number)`
        : `read expected_delta ${JSON.stringify(rawDelta)} as ${expectedDelta}`,
    );
  }
  return { line, index: Number(id[1]), parent: parent ? Number(parent[1]) : null, label, get, num, hypothesis, rationale, expectedDelta, repairs };
}

/** Reads and checks the file (and tree.tsv when given); returns the documents it would insert and what it did. */
export async function readResults(o: ImportOptions): Promise<{ campaign: CampaignDoc; trials: TrialDoc[]; notes: ImportNote[] }> {
  const file = path.basename(o.file);
  const records = parseTsv(await readFile(o.file, 'utf8'), file, { lenient: true });
  const header = records.shift();
  if (!header) throw new TsvError(`${file}: empty file (no header line)`);
  const cols = header.cells;
  for (const c of REQUIRED) if (!cols.includes(c)) throw new TsvError(`${file} line 1: no column "${c}" (the header has ${cols.join(', ')})`);
  const metric = o.metric ?? cols[cols.indexOf('status') + 1];
  if (!metric || !cols.includes(metric)) throw new TsvError(`${file} line 1: no score column "${metric ?? '(none after status)'}"; name it with --metric`);
  const extra = cols.filter((c) => !NAMED.has(c) && c !== metric);

  const notes: ImportNote[] = [];
  const refuse = (message: string): never => {
    throw new TsvError(`${message} (--strict: the file is refused at its first bad row)`);
  };
  const rows: Row[] = [];
  const seen = new Map<number, number>();
  for (const rec of records) {
    let row: Row;
    try {
      row = readRow(cols, rec, file, metric);
    } catch (err) {
      if (!(err instanceof RowProblem)) throw err;
      if (o.strict) refuse(err.message);
      notes.push({ kind: 'skipped', message: `${err.message}; row skipped` });
      continue;
    }
    const where = `${file} line ${row.line} (exp ${expId(row.index).slice(4)})`;
    if (seen.has(row.index)) {
      const message = `${file} line ${row.line}, column exp_id: ${row.get('exp_id')} repeats line ${seen.get(row.index)}`;
      if (o.strict) refuse(message);
      notes.push({ kind: 'skipped', message: `${message}; row skipped` });
      continue;
    }
    if (row.repairs.length) {
      if (o.strict) refuse(`${where}: needs repair: ${row.repairs.join('; ')}`);
      notes.push({ kind: 'recovered', message: `${where}: ${row.repairs.join('; ')}` });
    }
    seen.set(row.index, row.line);
    rows.push(row);
  }
  if (!rows.length) throw new TsvError(`${file}: no readable rows after the header`);
  for (const r of rows) {
    if (r.parent === null || seen.has(r.parent)) continue;
    const message = `${file} line ${r.line}, column parent_exp: ${r.get('parent_exp')} is no row of this file`;
    if (o.strict) refuse(message);
    notes.push({ kind: 'parent', message: `${message}; the trial hangs under the baseline` });
  }

  const hasSha = cols.includes('sha');
  const shaOf = (index: number) => `${o.campaignId}:${expId(index)}`; // the paper's rows carry no commits: name them by exp id
  const trials: TrialDoc[] = rows
    .sort((a, b) => a.index - b.index)
    .map((r) => {
      const at = r.get('timestamp');
      const [train, evaluate, total] = [r.num('train_s'), r.num('eval_s'), r.num('total_s')];
      const stages: StageTiming[] = [];
      // A paper row with only total_s (crashes, aborts, CIFAR's gate misses) still held its GPUs that long.
      if (train !== null || (!hasSha && evaluate === null && total !== null)) stages.push({ stage: 'train', startedAt: at, seconds: train ?? total! });
      if (evaluate !== null) stages.push({ stage: 'evaluate', startedAt: at, seconds: evaluate });
      const other = total === null ? 0 : Number((total - stages.reduce((s, x) => s + x.seconds, 0)).toFixed(6));
      if (other > 0 || (total !== null && !stages.length)) stages.push({ stage: 'other', startedAt: at, seconds: other });
      const score = r.num(metric);
      const artifact = r.num('artifact_bytes');
      const metrics: Record<string, number | null> = { [metric]: score, ...(artifact !== null ? { artifact_bytes: artifact } : {}) };
      for (const c of extra) {
        const x = Number(r.get(c));
        if (r.get(c).trim() !== '' && Number.isFinite(x)) metrics[c] = x;
      }
      const id = trialId(o.campaignId, r.index);
      const proposal: Proposal | null =
        r.expectedDelta === null && !r.rationale
          ? null
          : {
              specialist: r.get('specialist'),
              hypothesis: r.hypothesis,
              edits: [],
              ...(r.expectedDelta !== null ? { expectedDelta: r.expectedDelta } : {}),
              ...(r.rationale ? { rationale: r.rationale } : {}),
            };
      return {
        _id: id,
        trialId: id,
        campaignId: o.campaignId,
        task: o.task,
        index: r.index,
        specialist: r.get('specialist'),
        parentSha: hasSha ? r.get('parent_sha') : r.parent !== null ? shaOf(r.parent) : '',
        sha: hasSha ? r.get('sha') || null : shaOf(r.index),
        hypothesis: r.hypothesis,
        proposal,
        diff: null,
        label: r.label,
        sourceStatus: r.get('status'),
        score,
        keep: r.label === 'keep',
        reason: r.get('notes') || r.rationale,
        rule: null,
        spread: null,
        metrics,
        stages,
        usage: { inputTokens: r.num('input_tokens') ?? 0, outputTokens: r.num('output_tokens') ?? 0, dollars: r.num('dollars') ?? 0 },
        train: null,
        logExcerpt: '',
        startedAt: at,
        finishedAt: r.get('finished_at') || at,
        recordedAt: new Date().toISOString(),
      };
    });
  if (o.tree) {
    const parents = new Map(rows.map((r) => [r.index, r.parent]));
    notes.push(...checkTree(await readFile(o.tree, 'utf8'), path.basename(o.tree), trials, parents, metric, Boolean(o.strict)));
  }

  const best = bestKept(o.direction, trials);
  const root = trials[0]!;
  const campaign: CampaignDoc = {
    _id: o.campaignId,
    task: o.task,
    preset: 'imported',
    input: { campaignId: o.campaignId, task: o.task, budget: { trials: trials.length - 1 }, parallelism: 1, proposer: { kind: 'offline' } },
    baselineSha: root.sha ?? '',
    evaluatorHash: '',
    metric: { name: metric, direction: o.direction },
    createdAt: new Date().toISOString(),
    best: best ? { trialId: best.trialId, index: best.index, score: best.score!, sha: best.sha ?? '' } : null,
    baseline: { score: root.score, label: root.label, spread: null },
    importedFrom: path.resolve(o.file),
  };
  return { campaign, trials, notes };
}

interface Imported {
  campaign: CampaignDoc;
  trials: TrialDoc[];
  notes: ImportNote[];
}

export async function importResults(store: Store, o: ImportOptions): Promise<Imported> {
  const read = await readResults(o);
  if (await store.campaigns.findOne({ _id: o.campaignId }))
    throw new Error(`lineage: campaign "${o.campaignId}" already exists; import under another --campaign id`);
  if (await store.trials.findOne({ campaignId: o.campaignId }))
    throw new Error(`lineage: trials of campaign "${o.campaignId}" already exist; import under another --campaign id`);
  for (let i = 0; i < read.trials.length; i += 1000) await store.trials.insertMany(read.trials.slice(i, i + 1000));
  // The campaign document last: a campaign that exists is a complete one.
  await store.campaigns.insertOne(read.campaign);
  return read;
}
