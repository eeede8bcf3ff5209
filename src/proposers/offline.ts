// The offline proposer: a non-LLM specialist that moves one of its declared knobs per trial,
// guided by lineage — continue a direction that was kept, reverse one that was discarded,
// back off after budget overruns, size blocks and crashes, explore what was never tried.
import type { Knob } from '../task/spec.js';
import type { KnobMove, Label, Proposal } from '../types.js';
import { formatKnobValue, knobEdit, readKnob } from './knobLines.js';

export interface KnobHistoryItem {
  knob: KnobMove;
  label: Label;
  index: number;
}

/** The value one step in `direction`, clamped to the knob's range; null when it cannot move. */
export function stepKnob(knob: Knob, value: string, direction: 1 | -1): string | null {
  if (knob.type === 'bool') {
    if (value !== 'True' && value !== 'False') return null;
    return value === 'True' ? 'False' : 'True';
  }
  const x = Number(value);
  if (!Number.isFinite(x)) return null;
  let next = knob.factor ? (direction > 0 ? x * knob.factor : x / knob.factor) : x + direction * knob.step!;
  if (knob.type === 'int') next = direction > 0 ? Math.max(Math.round(next), x + 1) : Math.min(Math.round(next), x - 1);
  if (knob.min !== undefined) next = Math.max(knob.min, next);
  if (knob.max !== undefined) next = Math.min(knob.max, next);
  const out = formatKnobValue(next, knob.type);
  return Number(out) === x ? null : out;
}

/** Why a label steers a direction: + continue, - avoid. */
function directionScore(history: KnobHistoryItem[], name: string, direction: 1 | -1): number {
  const mine = history.filter((h) => h.knob.name === name).sort((a, b) => b.index - a.index);
  if (mine.length === 0) return 1; // untried: worth exploring
  let score = 0;
  mine.slice(0, 4).forEach((h, age) => {
    const w = 1 / (age + 1);
    const same = h.knob.direction === direction;
    switch (h.label) {
      case 'keep':
        score += (same ? 3 : -1) * w;
        break;
      case 'discard':
        score += (same ? -1.5 : 0.5) * w;
        break;
      case 'train_budget_overrun':
      case 'size_blocked':
      case 'eval_budget_overrun':
        score += (same ? -4 : 1) * w; // the cost went the wrong way: go the other way
        break;
      case 'crash':
      case 'diverged':
      case 'preflight_crash':
        score += (same ? -3 : 0.5) * w;
        break;
      default:
        break;
    }
  });
  return score;
}

/** A small deterministic PRNG so the same campaign seed proposes the same trials. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface OfflineInput {
  specialist: string;
  /** The knobs this specialist may move. */
  knobs: Knob[];
  files: Map<string, string>;
  history: KnobHistoryItem[];
  /** Knob moves already in flight in sibling trials, to avoid proposing the same edit twice. */
  inFlight: KnobMove[];
  /** Moves refused as duplicates of a trained or in-flight recipe: never proposed again this time. */
  refused?: KnobMove[];
  seed: number;
}

export function proposeOffline(input: OfflineInput): Proposal | null {
  const rand = mulberry32(input.seed);
  const candidates: { knob: Knob; move: KnobMove; line: string; score: number }[] = [];
  for (const knob of input.knobs) {
    const source = input.files.get(knob.file);
    const current = source && readKnob(source, knob.name);
    if (!current) continue;
    for (const direction of [1, -1] as const) {
      if (knob.type === 'bool' && direction === -1) continue;
      const to = stepKnob(knob, current.value, direction);
      if (to === null) continue;
      const move: KnobMove = { name: knob.name, from: current.value, to, direction };
      const same = (m: KnobMove) => m.name === move.name && m.to === move.to;
      if (input.refused?.some(same)) continue;
      const dup = input.inFlight.some(same);
      const score = directionScore(input.history, knob.name, direction) - (dup ? 10 : 0) + rand() * 0.5;
      candidates.push({ knob, move, line: current.line, score });
    }
  }
  if (candidates.length === 0) return null;
  candidates.sort((a, b) => b.score - a.score);
  const { knob, move, line } = candidates[0]!;
  const verb =
    knob.type === 'bool' ? `set ${knob.name} to ${move.to}` : `${move.direction > 0 ? 'raise' : 'lower'} ${knob.name} from ${move.from} to ${move.to}`;
  return {
    specialist: input.specialist,
    hypothesis: verb,
    rationale: "offline proposer: knob move chosen from this specialist's lineage",
    edits: [knobEdit(knob, line, move.to)],
    knob: move,
  };
}
