// `lineage import`: a blackboard results.tsv (the paper's released runs, or our own export) into
// MongoDB as a campaign and its trials, so `lineage report` draws it. Malformed input is refused
// before anything is written, naming the line and column.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LABELS, type Label, type StageTiming } from '../types.js';
import { trialId } from '../ids.js';
import type { CampaignDoc, Store, TrialDoc } from '../store/db.js';
import { better } from '../report/trajectory.js';
import { EXP_ID } from './blackboard.js';
import { parseTsv, TsvError } from './tsv.js';

export interface ImportOptions {
  file: string;
  campaignId: string;
  task: string;
  /** The score column; by default the column after `status`, where the paper puts it. */
  metric?: string;
  direction: 'minimize' | 'maximize';
}

const REQUIRED = ['exp_id', 'timestamp', 'specialist', 'parent_exp', 'hypothesis', 'status'];

/** Reads and checks the file; returns the documents it would insert. */
export async function readResults(o: ImportOptions): Promise<{ campaign: CampaignDoc; trials: TrialDoc[] }> {
  const file = path.basename(o.file);
  const records = parseTsv(await readFile(o.file, 'utf8'), file);
  const header = records.shift();
  if (!header) throw new TsvError(`${file}: empty file (no header line)`);
  const cols = header.cells;
  for (const c of REQUIRED) if (!cols.includes(c)) throw new TsvError(`${file} line 1: no column "${c}" (the header has ${cols.join(', ')})`);
  const metric = o.metric ?? cols[cols.indexOf('status') + 1];
  if (!metric || !cols.includes(metric)) throw new TsvError(`${file} line 1: no score column "${metric ?? '(none after status)'}"; name it with --metric`);

  const rows = records.map(({ line, cells }) => {
    if (cells.length !== cols.length) throw new TsvError(`${file} line ${line}: ${cells.length} fields, the header has ${cols.length}`);
    const get = (c: string) => (cols.includes(c) ? cells[cols.indexOf(c)]! : '');
    const bad = (c: string, why: string): never => {
      throw new TsvError(`${file} line ${line}, column ${c}: ${JSON.stringify(get(c))} ${why}`);
    };
    const num = (c: string): number | null => {
      const v = get(c).trim();
      if (v === '') return null;
      const x = Number(v);
      return Number.isFinite(x) ? x : bad(c, 'is not a number');
    };
    const id = EXP_ID.exec(get('exp_id')) ?? bad('exp_id', 'is not of the form exp_NNN');
    if (Number.isNaN(Date.parse(get('timestamp')))) bad('timestamp', 'is not an ISO-8601 time');
    if (!get('specialist')) bad('specialist', 'is empty');
    if (get('parent_exp') && !EXP_ID.test(get('parent_exp'))) bad('parent_exp', 'is not of the form exp_NNN');
    const status = get('status');
    if (!(LABELS as readonly string[]).includes(status)) bad('status', `is not a label (one of ${LABELS.join(', ')})`);
    return { line, get, num, index: Number(id[1]), label: status as Label };
  });

  const seen = new Map<number, number>();
  for (const r of rows) {
    if (seen.has(r.index)) throw new TsvError(`${file} line ${r.line}, column exp_id: ${r.get('exp_id')} repeats line ${seen.get(r.index)}`);
    seen.set(r.index, r.line);
  }
  const hasSha = cols.includes('sha');
  const shaOf = (exp: string) => `${o.campaignId}:${exp}`; // the paper's rows carry no commits: name them by exp_id
  for (const r of rows) {
    const p = r.get('parent_exp');
    if (p && !seen.has(Number(EXP_ID.exec(p)![1]))) throw new TsvError(`${file} line ${r.line}, column parent_exp: ${p} is no row of this file`);
  }

  const trials: TrialDoc[] = rows
    .sort((a, b) => a.index - b.index)
    .map((r) => {
      const stages: StageTiming[] = [];
      const [train, evaluate, total] = [r.num('train_s'), r.num('eval_s'), r.num('total_s')];
      if (train !== null) stages.push({ stage: 'train', startedAt: r.get('timestamp'), seconds: train });
      if (evaluate !== null) stages.push({ stage: 'evaluate', startedAt: r.get('timestamp'), seconds: evaluate });
      const other = total === null ? 0 : Number((total - (train ?? 0) - (evaluate ?? 0)).toFixed(6));
      if (other > 0 || (total !== null && !stages.length)) stages.push({ stage: 'other', startedAt: r.get('timestamp'), seconds: other });
      const score = r.num(metric);
      const expected = r.num('expected_delta');
      const artifact = r.num('artifact_bytes');
      const id = trialId(o.campaignId, r.index);
      const parentExp = r.get('parent_exp');
      return {
        _id: id,
        trialId: id,
        campaignId: o.campaignId,
        task: o.task,
        index: r.index,
        specialist: r.get('specialist'),
        parentSha: hasSha ? r.get('parent_sha') : parentExp ? shaOf(parentExp) : '',
        sha: hasSha ? r.get('sha') || null : shaOf(r.get('exp_id')),
        hypothesis: r.get('hypothesis'),
        proposal: expected === null ? null : { specialist: r.get('specialist'), hypothesis: r.get('hypothesis'), expectedDelta: expected, edits: [] },
        diff: null,
        label: r.label,
        score,
        keep: r.label === 'keep',
        reason: r.get('notes'),
        rule: null,
        spread: null,
        metrics: { [metric]: score, ...(artifact !== null ? { artifact_bytes: artifact } : {}) },
        stages,
        usage: { inputTokens: r.num('input_tokens') ?? 0, outputTokens: r.num('output_tokens') ?? 0, dollars: r.num('dollars') ?? 0 },
        train: null,
        logExcerpt: '',
        startedAt: r.get('timestamp'),
        finishedAt: r.get('finished_at') || r.get('timestamp'),
        recordedAt: new Date().toISOString(),
      };
    });
  if (!trials.length) throw new TsvError(`${file}: no rows after the header`);

  let best: TrialDoc | undefined;
  for (const t of trials) if (t.keep && t.score !== null && (!best || better(o.direction, t.score, best.score!))) best = t;
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
  return { campaign, trials };
}

export async function importResults(store: Store, o: ImportOptions): Promise<{ campaignId: string; trials: number; metric: string }> {
  const { campaign, trials } = await readResults(o);
  if (await store.campaigns.findOne({ _id: o.campaignId })) throw new Error(`lineage: campaign "${o.campaignId}" already exists; import under another --campaign id`);
  if (await store.trials.findOne({ campaignId: o.campaignId })) throw new Error(`lineage: trials of campaign "${o.campaignId}" already exist; import under another --campaign id`);
  for (let i = 0; i < trials.length; i += 1000) await store.trials.insertMany(trials.slice(i, i + 1000));
  // The campaign document last: a campaign that exists is a complete one.
  await store.campaigns.insertOne(campaign);
  return { campaignId: o.campaignId, trials: trials.length, metric: campaign.metric.name };
}
