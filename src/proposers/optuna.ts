// The optimizer proposer: Optuna (TPE by default, CMA-ES on request) over the knobs a specialist
// owns, through ask-and-tell, in a trust region around the recipe it edits (ask.py says how the
// region is sized). Its study lives nowhere: each proposal rebuilds it from the campaign's
// recorded trials (their knob values and outcomes) in a short Python subprocess, so MongoDB and
// Temporal stay the only state, and the same history and seed ask the same values.
import { execa } from 'execa';
import path from 'node:path';
import type { Store } from '../store/db.js';
import type { Knob } from '../task/spec.js';
import { repoRoot } from '../task/spec.js';
import { pythonPath } from '../config.js';
import type { Label, OptunaProposerConfig, OptunaSampler, Proposal } from '../types.js';
import { loadSnapshot } from '../recipe/snapshot.js';
import { readSummary } from '../lineage/summary.js';
import { formatKnobValue, knobEdit, knobValues, readKnob } from './knobLines.js';
import type { Direction } from '../metric.js';
import { isBaseline } from '../ids.js';

type KnobValue = number | boolean;
export type Params = Record<string, KnobValue>;

export interface OptunaTrial {
  params: Params;
  /** The score, or null for a recipe that failed (infeasible). */
  value: number | null;
  /** Kept (or the baseline): the trust region is reset to its narrowest after one. */
  kept: boolean;
}

export interface OptunaRequest {
  sampler: OptunaSampler;
  seed: number;
  direction: Direction;
  knobs: Knob[];
  /** Finished trials in index order, the baseline first. */
  trials: OptunaTrial[];
  running: { params: Params }[];
  /** The recipe being edited: the centre of the trust region. */
  current: Params;
  count: number;
}

/** Labels of a recipe that ran (or was checked) and failed: told as infeasible. Others teach nothing about the knobs. */
const INFEASIBLE: Label[] = ['crash', 'preflight_crash', 'train_budget_overrun', 'eval_budget_overrun', 'size_blocked', 'gate_miss', 'diverged'];
/** How many of the campaign's latest trials rebuild the study. */
const HISTORY_LIMIT = 400;
const ASK_SCRIPT = path.join(repoRoot(), 'src/proposers/optuna/ask.py');

const samplerOf = (config: OptunaProposerConfig) => config.sampler ?? 'tpe';
export const optunaArm = (config: OptunaProposerConfig) => `optuna-${samplerOf(config)}`;

/** Recipe text to the optimizer's numbers; null when a value is not a number (or True/False). */
export function toParams(values: Record<string, string>, knobs: Knob[]): Params {
  const out: Params = {};
  for (const k of knobs) {
    const v = values[k.name];
    if (v === undefined) continue;
    if (k.type === 'bool') {
      if (v === 'True' || v === 'False') out[k.name] = v === 'True';
      continue;
    }
    const x = Number(v);
    if (v !== '' && Number.isFinite(x)) out[k.name] = x;
  }
  return out;
}

/** Asks Optuna for `count` candidates; a Python error is thrown with its stderr. */
export async function askOptuna(req: OptunaRequest): Promise<Params[]> {
  const knobs = req.knobs.map(({ name, type, min, max, step, factor }) => ({ name, type, min, max, step, factor }));
  const body = JSON.stringify({ ...req, knobs, seed: req.seed % 2 ** 31 });
  const r = await execa(pythonPath(), [ASK_SCRIPT], { input: body, reject: false, timeout: 120_000 });
  if (r.exitCode !== 0) throw new Error(`optuna ask failed (${pythonPath()} ${ASK_SCRIPT}): ${r.stderr.slice(-1500) || r.message}`);
  return (JSON.parse(r.stdout) as { candidates: Params[] }).candidates;
}

/** The campaign's trials as the optimizer is told them: knob values of the recipe each trained, and its score. */
async function optunaHistory(store: Store, campaignId: string, knobs: Knob[]): Promise<{ trials: OptunaTrial[]; running: { params: Params }[] }> {
  const [docs, campaign, summary] = await Promise.all([
    store.trials
      .find({ campaignId }, { projection: { index: 1, label: 1, score: 1, 'proposal.knobValues': 1 } })
      .sort({ index: -1 })
      .limit(HISTORY_LIMIT)
      .toArray(),
    store.campaigns.findOne({ _id: campaignId }, { projection: { baselineSha: 1 } }),
    readSummary(store.lineage, campaignId),
  ]);
  const trials: OptunaTrial[] = [];
  for (const d of docs.sort((a, b) => a.index - b.index)) {
    const value = d.label === 'keep' || d.label === 'discard' ? d.score : INFEASIBLE.includes(d.label) ? null : undefined;
    if (value === undefined) continue;
    const values = isBaseline(d) && campaign ? knobValues(await loadSnapshot(store, campaign.baselineSha), knobs) : d.proposal?.knobValues;
    if (values) trials.push({ params: toParams(values, knobs), value, kept: isBaseline(d) || d.label === 'keep' });
  }
  const running = summary.inFlight.flatMap((f) => (f.knobValues ? [{ params: toParams(f.knobValues, knobs) }] : []));
  return { trials, running };
}

/** One candidate as a proposal: an edit per knob whose value changes; null when none does. */
export function candidateProposal(specialist: string, knobs: Knob[], parentFiles: Map<string, string>, params: Params, arm: string): Proposal | null {
  const edits: Proposal['edits'] = [];
  const moves: string[] = [];
  for (const k of knobs) {
    const source = parentFiles.get(k.file);
    const current = source !== undefined ? readKnob(source, k.name) : null;
    const v = params[k.name];
    if (!current || v === undefined) continue;
    // Four significant digits: a float the optimizer moved a little stays moved.
    const to = typeof v === 'boolean' ? (v ? 'True' : 'False') : formatKnobValue(v, k.type === 'int' ? 'int' : 'float', 4);
    if (to === current.value || (k.type !== 'bool' && Number(to) === Number(current.value))) continue;
    // Each knob has a line of its own, so the edits of one proposal never overlap.
    edits.push(knobEdit(k, current.line, to));
    moves.push(`${k.name} ${current.value} → ${to}`);
  }
  if (edits.length === 0) return null;
  return {
    specialist,
    hypothesis: `${arm}: set ${moves.join(', ')}`,
    rationale: `${arm} suggestion over ${specialist}'s knobs (${knobs.map((k) => k.name).join(', ')}), from the campaign's recorded trials`,
    edits,
    origin: { proposer: 'optuna', arm },
  };
}

interface OptunaAsk {
  store: Store;
  campaignId: string;
  config: OptunaProposerConfig;
  direction: Direction;
  /** The specialist's own knobs: the only ones it moves. */
  knobs: Knob[];
  parentFiles: Map<string, string>;
  seed: number;
  count: number;
}

/** Candidate proposals for one trial, best first as the optimizer asks them. */
export async function optunaCandidates(a: OptunaAsk, specialist: string): Promise<Proposal[]> {
  const knobs = a.knobs.filter((k) => a.parentFiles.has(k.file) && readKnob(a.parentFiles.get(k.file)!, k.name));
  if (knobs.length === 0) return [];
  const { trials, running } = await optunaHistory(a.store, a.campaignId, knobs);
  const current = toParams(knobValues(a.parentFiles, knobs), knobs);
  const asked = await askOptuna({ sampler: samplerOf(a.config), seed: a.seed, direction: a.direction, knobs, trials, running, current, count: a.count });
  return asked.flatMap((params) => candidateProposal(specialist, knobs, a.parentFiles, params, optunaArm(a.config)) ?? []);
}

/** Why a campaign cannot use the optimizer on this task and host, or null. */
export async function optunaProblem(spec: { name: string; knobs: Knob[] }, field: string): Promise<string | null> {
  if (spec.knobs.length === 0) return `${field}: optuna moves the task's declared knobs, and task ${spec.name} declares none (see knobs in docs/tasks.md)`;
  const r = await execa(pythonPath(), ['-c', 'import optuna'], { reject: false, timeout: 60_000 });
  if (r.exitCode !== 0) return `${field}: ${pythonPath()} cannot import optuna; install Debian's python3-optuna (or pip install optuna for LINEAGE_PYTHON)`;
  return null;
}
