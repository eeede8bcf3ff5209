// Bounded lineage summaries, kept next to the trial documents so a proposal never scans a
// campaign's trials: one document per campaign (counts, recent trials, the kept trials, what is in
// flight, dollars spent) and one per roster member (its recent outcomes, its knob moves). FerretDB
// scans a collection for any filter but _id, so these are read by _id and updated with
// compare-and-swap on a version field (no transactions needed); every update is idempotent by trial index.
import type { Collection } from 'mongodb';
import type { KnobMove, Label, Proposal, TrialRecord } from '../types.js';
import { isBaseline } from '../ids.js';
import { clip } from '../format.js';

const SUMMARY_LIMITS = { campaignRecent: 40, memberRecent: 12, knobMoves: 4, hypothesis: 240, reason: 300, logTail: 400 };

export interface RecentTrial {
  index: number;
  specialist: string;
  hypothesis: string;
  label: Label;
  score: number | null;
  /** Score minus the score of the recipe it edited. */
  delta: number | null;
  reason: string;
  logTail: string;
}
export interface KeptTrial {
  index: number;
  specialist: string;
  hypothesis: string;
  score: number | null;
  sha: string;
  parentSha: string;
}
export interface InFlight {
  index: number;
  specialist: string;
  hypothesis: string;
  knob?: KnobMove;
  /** The declared knobs of the recipe it will train: the optimizer counts it as running. */
  knobValues?: Record<string, string>;
}
export interface KnobOutcome {
  knob: KnobMove;
  label: Label;
  index: number;
}

export interface LineageSummaryDoc {
  /** The campaign id, or `<campaign id>/<member name>`. */
  _id: string;
  campaignId: string;
  version: number;
  total: number;
  counts: Partial<Record<Label, number>>;
  recent: RecentTrial[];
  /** Campaign document only. */
  kept: KeptTrial[];
  inFlight: InFlight[];
  dollars: number;
  /** Campaign document only: proposals refused before training because their recipe was already trained or in flight. */
  duplicatesRefused?: number;
  /** Member documents only: the last moves of each knob, newest first. */
  knobs: Record<string, KnobOutcome[]>;
}

export const memberKey = (campaignId: string, member: string) => `${campaignId}/${member}`;

export function emptySummary(id: string, campaignId: string): LineageSummaryDoc {
  return { _id: id, campaignId, version: 0, total: 0, counts: {}, recent: [], kept: [], inFlight: [], dollars: 0, knobs: {} };
}

/** Read, change, write back if nobody wrote in between; `change` returns false when there is nothing to do. */
async function casUpdate(coll: Collection<LineageSummaryDoc>, id: string, campaignId: string, change: (doc: LineageSummaryDoc) => boolean): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const current = await coll.findOne({ _id: id });
    const next = structuredClone(current ?? emptySummary(id, campaignId));
    if (!change(next)) return;
    next.version = (current?.version ?? 0) + 1;
    if (!current) {
      try {
        await coll.insertOne(next);
        return;
      } catch (err) {
        if ((err as { code?: number }).code === 11000) continue; // another writer created it first
        throw err;
      }
    }
    const r = await coll.replaceOne({ _id: id, version: current.version }, next);
    if (r.matchedCount === 1) return;
  }
  throw new Error(`lineage summary ${id}: too much write contention`);
}

/** A proposal is in flight (siblings see it), its model calls have cost `dollars`, and `refused` duplicates were refused on the way. */
export async function noteProposal(
  coll: Collection<LineageSummaryDoc>,
  campaignId: string,
  index: number,
  proposal: Proposal | null,
  dollars: number,
  refused = 0,
): Promise<void> {
  await casUpdate(coll, campaignId, campaignId, (doc) => {
    // Each attempt of the propose activity really called the model, so each adds its dollars.
    doc.dollars += dollars;
    // Counted once per trial: a retried attempt finds its own entry in flight already.
    if (!doc.inFlight.some((f) => f.index === index)) doc.duplicatesRefused = (doc.duplicatesRefused ?? 0) + refused;
    doc.inFlight = doc.inFlight.filter((f) => f.index !== index);
    if (proposal) {
      const { knob, knobValues } = proposal;
      doc.inFlight.push({
        index,
        specialist: proposal.specialist,
        hypothesis: clip(proposal.hypothesis, SUMMARY_LIMITS.hypothesis),
        ...(knob ? { knob } : {}),
        ...(knobValues ? { knobValues } : {}),
      });
    }
    return true;
  });
}

/** The trial of `index` is no longer in flight and leaves no outcome (it ended infra_error and runs again). */
export async function dropInFlight(coll: Collection<LineageSummaryDoc>, campaignId: string, index: number): Promise<void> {
  await casUpdate(coll, campaignId, campaignId, (doc) => {
    const before = doc.inFlight.length;
    doc.inFlight = doc.inFlight.filter((f) => f.index !== index);
    return doc.inFlight.length !== before;
  });
}

/** Folds an outcome into the campaign summary; returns the trial's delta to its parent, or undefined if already folded. */
export function foldOutcome(doc: LineageSummaryDoc, r: TrialRecord): number | null | undefined {
  doc.inFlight = doc.inFlight.filter((f) => f.index !== r.index);
  if (doc.recent.some((t) => t.index === r.index) || doc.kept.some((t) => t.index === r.index)) return undefined;
  const parent = doc.kept.find((k) => k.sha === r.parentSha);
  const delta = r.score !== null && parent?.score != null && !isBaseline(r) ? r.score - parent.score : null;
  doc.total++;
  doc.counts[r.label] = (doc.counts[r.label] ?? 0) + 1;
  doc.recent = [...doc.recent, recentOf(r, delta)].slice(-SUMMARY_LIMITS.campaignRecent);
  if (r.keep && r.sha)
    doc.kept.push({
      index: r.index,
      specialist: r.specialist,
      hypothesis: clip(r.hypothesis, SUMMARY_LIMITS.hypothesis),
      score: r.score,
      sha: r.sha,
      parentSha: r.parentSha,
    });
  return delta;
}

/** Folds an outcome into its member's summary; false if already folded. */
export function foldMemberOutcome(doc: LineageSummaryDoc, r: TrialRecord, delta: number | null): boolean {
  if (doc.recent.some((t) => t.index === r.index)) return false;
  doc.total++;
  doc.counts[r.label] = (doc.counts[r.label] ?? 0) + 1;
  doc.recent = [...doc.recent, recentOf(r, delta)].slice(-SUMMARY_LIMITS.memberRecent);
  const knob = r.proposal?.knob;
  if (knob) doc.knobs[knob.name] = [{ knob, label: r.label, index: r.index }, ...(doc.knobs[knob.name] ?? [])].slice(0, SUMMARY_LIMITS.knobMoves);
  return true;
}

/** A trial's outcome, into the campaign summary and its member's summary. Safe to repeat. */
export async function noteOutcome(coll: Collection<LineageSummaryDoc>, r: TrialRecord): Promise<void> {
  let delta: number | null = null;
  await casUpdate(coll, r.campaignId, r.campaignId, (doc) => {
    delta = foldOutcome(doc, r) ?? null;
    return true; // at least the in-flight entry goes
  });
  await casUpdate(coll, memberKey(r.campaignId, r.specialist), r.campaignId, (doc) => foldMemberOutcome(doc, r, delta));
}

function recentOf(r: TrialRecord, delta: number | null): RecentTrial {
  return {
    index: r.index,
    specialist: r.specialist,
    hypothesis: clip(r.hypothesis, SUMMARY_LIMITS.hypothesis),
    label: r.label,
    score: r.score,
    delta,
    reason: clip(r.reason, SUMMARY_LIMITS.reason),
    logTail: r.label === 'keep' || r.label === 'discard' ? '' : r.logExcerpt.slice(-SUMMARY_LIMITS.logTail),
  };
}

export async function readSummary(coll: Collection<LineageSummaryDoc>, campaignId: string, member?: string): Promise<LineageSummaryDoc> {
  const id = member ? memberKey(campaignId, member) : campaignId;
  return (await coll.findOne({ _id: id })) ?? emptySummary(id, campaignId);
}
