// A campaign's trajectory as read from MongoDB, and the lineage facts the report and the
// export both derive from it: each trial's parent, the keep chain, best-so-far, GPU time.
import type { CampaignDoc, Store, TrialDoc } from '../store/db.js';
import { bestKept, isBetter, type Direction } from '../metric.js';

export interface Trajectory {
  campaign: CampaignDoc;
  /** Sorted by trial index. */
  trials: TrialDoc[];
}

/** Fields a comparison does not read: left on the server, so a 900-trial campaign loads faster. */
export const HEAVY_FIELDS = { logExcerpt: 0, diff: 0, train: 0, proposal: 0, hypothesis: 0, reason: 0 } as const;

export async function loadTrajectory(store: Store, campaignId: string, o: { without?: Record<string, 0> } = {}): Promise<Trajectory> {
  return (await loadTrajectories(store, [campaignId], o))[0]!;
}

/**
 * Several campaigns' trajectories, in the order named, with one query over the trials: FerretDB
 * filters in Go after reading every trial document of the database, so each query costs a scan
 * of all of them however few it returns. The campaign documents are read by _id (SQLite finds those).
 */
export async function loadTrajectories(store: Store, ids: string[], o: { without?: Record<string, 0> } = {}): Promise<Trajectory[]> {
  const unique = [...new Set(ids)];
  // The trials first: the query that takes the server long goes out on the connection already open.
  const [trials, campaigns] = await Promise.all([
    store.trials
      .find(unique.length === 1 ? { campaignId: unique[0]! } : { campaignId: { $in: unique } }, o.without ? { projection: o.without } : {})
      .sort({ index: 1 })
      .toArray(),
    Promise.all(unique.map((_id) => store.campaigns.findOne({ _id }))),
  ]);
  const byCampaign = new Map<string, Trajectory>();
  unique.forEach((id, i) => {
    const campaign = campaigns[i];
    if (!campaign) throw new Error(`lineage: no campaign "${id}" in MongoDB database ${store.db.databaseName}`);
    byCampaign.set(id, { campaign, trials: [] });
  });
  for (const t of trials) byCampaign.get(t.campaignId)!.trials.push(t);
  return ids.map((id) => byCampaign.get(id)!);
}

/** Seconds a trial held a GPU slot: its train and evaluate stages (every repeat). */
export function gpuSeconds(t: Pick<TrialDoc, 'stages'>): number {
  return (t.stages ?? []).reduce((s, x) => (x.stage === 'train' || x.stage === 'evaluate' ? s + x.seconds : s), 0);
}

export function stageSeconds(t: TrialDoc, stage: string): number | null {
  const xs = (t.stages ?? []).filter((x) => x.stage === stage);
  return xs.length ? xs.reduce((s, x) => s + x.seconds, 0) : null;
}

/**
 * Parent trial index of every trial: the earliest earlier trial whose commit is this trial's
 * parentSha. The first trial (the baseline) has none; a trial whose parent commit no trial
 * produced (an imported run with gaps) hangs under the baseline so the lineage stays one tree.
 */
export function parentIndexes(trials: TrialDoc[]): Map<number, number | null> {
  const bySha = new Map<string, number>();
  const parents = new Map<number, number | null>();
  const root = trials[0]?.index ?? null;
  for (const t of trials) {
    const p = t.parentSha ? bySha.get(t.parentSha) : undefined;
    parents.set(t.index, t.index === root ? null : (p ?? root));
    if (t.sha && !bySha.has(t.sha)) bySha.set(t.sha, t.index);
  }
  return parents;
}

/** Trials in preorder (children by index), so every subtree is contiguous. */
export function preorder(trials: TrialDoc[], parents = parentIndexes(trials)): TrialDoc[] {
  const children = new Map<number | null, TrialDoc[]>();
  for (const t of trials) {
    const p = parents.get(t.index) ?? null;
    if (!children.has(p)) children.set(p, []);
    children.get(p)!.push(t);
  }
  const out: TrialDoc[] = [];
  // Iterative: a 10,000-trial keep chain is 10,000 deep.
  const stack = [...(children.get(null) ?? [])].reverse();
  while (stack.length) {
    const t = stack.pop()!;
    out.push(t);
    stack.push(...[...(children.get(t.index) ?? [])].reverse());
  }
  return out;
}

/** The campaign best after each trial (by index): it moves only on kept, scored trials. */
export function bestSoFar(trials: TrialDoc[], direction: Direction): (number | null)[] {
  let best: number | null = null;
  return trials.map((t) => {
    if (t.keep && t.score !== null && (best === null || isBetter(direction, t.score, best))) best = t.score;
    return best;
  });
}

/** The best kept trial, and the kept trials from the baseline down to it. */
export function keepChain(trials: TrialDoc[], direction: Direction, parents = parentIndexes(trials)): TrialDoc[] {
  const byIndex = new Map(trials.map((t) => [t.index, t]));
  const best = bestKept(direction, trials);
  const chain: TrialDoc[] = [];
  for (let t: TrialDoc | undefined = best ?? undefined; t; t = byIndex.get(parents.get(t.index) ?? -1)) chain.push(t);
  return chain.reverse();
}

/** Above this many trials the lineage tree is thinned (see thinTree). */
export const TREE_FULL_LIMIT = 200;

/**
 * The tree a large campaign draws: the baseline, every kept trial and their ancestors; every other
 * trial is folded into the nearest drawn trial it descends from, whose count it raises.
 */
export function thinTree(trials: TrialDoc[], parents = parentIndexes(trials)): { drawn: TrialDoc[]; folded: Map<number, number> } {
  const shown = new Set<number>();
  for (const t of trials) {
    if (!(t.keep || t.index === trials[0]?.index)) continue;
    for (let i: number | null | undefined = t.index; i !== null && i !== undefined && !shown.has(i); i = parents.get(i)) shown.add(i);
  }
  const folded = new Map<number, number>();
  for (const t of trials) {
    if (shown.has(t.index)) continue;
    let up = parents.get(t.index);
    while (up !== null && up !== undefined && !shown.has(up)) up = parents.get(up);
    if (up !== null && up !== undefined) folded.set(up, (folded.get(up) ?? 0) + 1);
  }
  return { drawn: trials.filter((t) => shown.has(t.index)), folded };
}

interface Totals {
  trials: number;
  inputTokens: number;
  outputTokens: number;
  dollars: number;
  gpuSeconds: number;
}

export function totals(trials: Pick<TrialDoc, 'stages' | 'usage'>[]): Totals {
  const sum: Totals = { trials: trials.length, inputTokens: 0, outputTokens: 0, dollars: 0, gpuSeconds: 0 };
  for (const t of trials) {
    sum.inputTokens += t.usage?.inputTokens ?? 0;
    sum.outputTokens += t.usage?.outputTokens ?? 0;
    sum.dollars += t.usage?.dollars ?? 0;
    sum.gpuSeconds += gpuSeconds(t);
  }
  return sum;
}
