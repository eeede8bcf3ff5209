// rebase: a ready trial whose slot came free after the best moved carries its change onto the new
// best (three-way, file by file, as git merges) instead of training on a parent that is no longer
// the best. Two steps, so a trial can prepare one while it still waits for a slot: `rebaseTrial`
// makes the commit and its snapshot and touches nothing else (the trial may yet train what it has);
// `adoptRebase` claims its recipe (no duplicates) and points the trial's branch at it. The workflow
// preflights it again; a conflict, or a change the best already holds, sends the trial back to its proposer.
import type { StageDeps } from '../stageDeps.js';
import type { AdoptResult, Proposal, RebaseResult, TrialInput } from '../types.js';
import { loadSnapshot, saveSnapshot } from '../recipe/snapshot.js';
import { knobValues } from '../proposers/knobLines.js';
import { claimTree, duplicateReason } from './treeClaims.js';

export async function rebaseTrial(
  deps: StageDeps,
  input: TrialInput,
  step: { sha: string; from: string; onto: string; proposal: Proposal },
): Promise<RebaseResult> {
  const repo = deps.repository(input.campaignId);
  const merged = await repo.threeWay(step.from, step.onto, step.sha);
  if ('conflicts' in merged) return { ok: false, reason: `its change conflicts with the new best in ${merged.conflicts.join(', ')}` };
  if (merged.changed.size === 0) return { ok: false, reason: 'the new best already holds its change' };
  const files = new Map([...(await loadSnapshot(deps.store, step.onto)), ...merged.changed]);
  const { proposal } = step;
  const message = `trial ${input.index} (${proposal.specialist}): ${proposal.hypothesis} [rebased onto ${step.onto.slice(0, 12)}]`.slice(0, 2000);
  const parents = proposal.portedFrom ? [step.onto, proposal.portedFrom.sha] : [step.onto];
  const sha = await repo.commit(parents, merged.changed, message, null, input.startedAt);
  await saveSnapshot(deps.store, input.campaignId, sha, files);
  const knobs = deps.task(input.task, input.preset).spec.knobs;
  return {
    ok: true,
    sha,
    diff: await repo.diff(step.onto, sha),
    changedFiles: [...merged.changed.keys()],
    // The optimizer learns from the recipe that trained, not the one first proposed.
    knobValues: proposal.knobValues ? knobValues(files, knobs) : undefined,
  };
}

export async function adoptRebase(deps: StageDeps, input: TrialInput, sha: string): Promise<AdoptResult> {
  const duplicateOf = await claimTree(deps.store, input.campaignId, input.index, await loadSnapshot(deps.store, sha));
  if (duplicateOf !== null) return { ok: false, reason: duplicateReason(duplicateOf) };
  await deps.repository(input.campaignId).pointRef(`refs/heads/trials/${input.index}`, sha);
  return { ok: true };
}
