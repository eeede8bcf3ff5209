// Who proposes in a campaign. The task's specialists by default; the paper's control arms replace
// them with one generalist owning every surface, or N generic agents with no domain preamble.
import type { Knob, TaskSpec } from './task/spec.js';
import type { Roster } from './types.js';

export interface RosterMember {
  name: string;
  preamble: string;
  surface: string[];
  /** Knobs the offline proposer may move for this member. */
  knobs: Knob[];
}

const GENERIC_PREAMBLE = 'You are a machine-learning research engineer. Improve the recipe in whatever way you judge best.';

const GENERIC = /^agent-(\d+)$/;

export function rosterNames(spec: TaskSpec, roster: Roster = { kind: 'specialists' }): string[] {
  switch (roster.kind) {
    case 'specialists':
      return spec.specialists.map((s) => s.name);
    case 'generalist':
      return ['generalist'];
    case 'generic':
      return Array.from({ length: roster.agents }, (_, i) => `agent-${i + 1}`);
  }
}

/** The member a trial's specialist name stands for, or null when the name is in no roster of this task. */
export function rosterMember(spec: TaskSpec, name: string): RosterMember | null {
  const own = spec.specialists.find((s) => s.name === name);
  if (own) return { ...own, knobs: spec.knobs.filter((k) => k.specialist === name) };
  const everySurface = [...new Set(spec.specialists.flatMap((s) => s.surface))];
  if (name === 'generalist') {
    const domains = spec.specialists.map((s) => `- ${s.name}: ${s.preamble.trim()}`).join('\n');
    return { name, preamble: `You own every part of the recipe. The domains it spans:\n${domains}`, surface: everySurface, knobs: spec.knobs };
  }
  if (GENERIC.test(name)) return { name, preamble: GENERIC_PREAMBLE, surface: everySurface, knobs: spec.knobs };
  return null;
}
