// apply: the proposal's edits on the parent commit, committed on a trial branch. Edits outside
// the specialist's surface are refused here, so they never reach git.
import picomatch from 'picomatch';
import type { StageDeps } from '../stageDeps.js';
import type { ApplyResult, Proposal, TrialInput } from '../types.js';
import { applyEdits, EditError, unsafePath } from '../recipe/edits.js';
import { saveSnapshot } from '../recipe/snapshot.js';
import { rosterMember } from '../roster.js';
import { claimTree, duplicateReason } from './treeClaims.js';

export function outsideSurface(surface: string[], files: string[]): string[] {
  const inSurface = picomatch(surface, { dot: true });
  return files.filter((f) => !inSurface(f));
}

export async function applyProposal(deps: StageDeps, input: TrialInput, proposal: Proposal): Promise<ApplyResult> {
  const task = deps.task(input.task, input.preset);
  const files = [...new Set(proposal.edits.map((e) => e.file))];
  if (files.length === 0) return { ok: false, label: 'apply_failed', reason: 'the proposal has no edits' };
  for (const f of files) {
    const why = unsafePath(f);
    if (why) return { ok: false, label: 'illegal_edit', reason: `${f}: ${why}` };
  }
  const specialist = rosterMember(task.spec, proposal.specialist);
  if (!specialist) return { ok: false, label: 'illegal_edit', reason: `specialist ${proposal.specialist} is not in the roster` };
  const outside = outsideSurface(specialist.surface, files);
  if (outside.length) {
    return { ok: false, label: 'illegal_edit', reason: `${outside.join(', ')} outside ${specialist.name}'s surface (${specialist.surface.join(', ')})` };
  }

  const repo = deps.repository(input.campaignId);
  const parentFiles = await repo.snapshot(input.parentSha);
  let edited: Map<string, string>;
  try {
    edited = applyEdits(parentFiles, proposal.edits);
  } catch (err) {
    if (err instanceof EditError) return { ok: false, label: 'apply_failed', reason: err.message };
    throw err;
  }
  const changed = new Map([...edited].filter(([f, content]) => parentFiles.get(f) !== content));
  if (changed.size === 0) return { ok: false, label: 'apply_failed', reason: 'the edits leave the recipe unchanged' };
  // The last word on duplicates, whatever the proposer: the propose stage claimed this tree already
  // when it checked, so this refuses only a proposer that did not (a replay) or a lost race.
  const duplicateOf = await claimTree(deps.store, input.campaignId, input.index, edited);
  if (duplicateOf !== null) return { ok: false, label: 'proposal_invalid', reason: duplicateReason(duplicateOf) };
  const message = `trial ${input.index} (${proposal.specialist}): ${proposal.hypothesis}`.slice(0, 2000);
  // A port records both parents: the recipe it edits and the trial whose diff it carries over.
  const parents = proposal.portedFrom ? [input.parentSha, proposal.portedFrom.sha] : [input.parentSha];
  const sha = await repo.commit(parents, changed, message, `refs/heads/trials/${input.index}`, input.startedAt);
  await saveSnapshot(deps.store, input.campaignId, sha, edited);
  return { ok: true, sha, diff: await repo.diff(input.parentSha, sha), changedFiles: [...changed.keys()] };
}
