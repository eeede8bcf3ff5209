// No recipe trains twice in a campaign. Each trial claims the tree hash of the recipe it would
// train, before any slot time; the claim is an insert keyed by (campaign, tree hash), so of two
// trials in flight that produce the same recipe exactly one wins. The baseline holds trial 0's claim.
import type { Store } from '../store/db.js';
import { loadSnapshot } from '../recipe/snapshot.js';
import { recipeTreeHash } from '../recipe/treeHash.js';
import { applyEdits, EditError } from '../recipe/edits.js';
import type { Edit } from '../types.js';

const claimId = (campaignId: string, hash: string) => `${campaignId}/${hash}`;
const isDuplicateKey = (err: unknown) => (err as { code?: number }).code === 11000;

/** Campaigns whose baseline claim this process has made (the claim itself lives in MongoDB). */
const baselineClaimed = new Set<string>();

async function claimBaseline(store: Store, campaignId: string): Promise<void> {
  if (baselineClaimed.has(campaignId)) return;
  const campaign = await store.campaigns.findOne({ _id: campaignId }, { projection: { baselineSha: 1 } });
  if (!campaign) throw new Error(`no campaign ${campaignId}`);
  const hash = recipeTreeHash(await loadSnapshot(store, campaign.baselineSha));
  await store.treeClaims.insertOne({ _id: claimId(campaignId, hash), campaignId, index: 0, hash }).catch((err) => {
    if (!isDuplicateKey(err)) throw err;
  });
  baselineClaimed.add(campaignId);
}

/**
 * Claims `files` for trial `index`. Returns null when the claim is this trial's (new, or made by an
 * earlier attempt), else the index of the trial that already trains or trained this recipe.
 * A new claim releases any other this trial held (a retried proposal that came out different).
 */
export async function claimTree(store: Store, campaignId: string, index: number, files: Map<string, string>): Promise<number | null> {
  await claimBaseline(store, campaignId);
  const hash = recipeTreeHash(files);
  const _id = claimId(campaignId, hash);
  try {
    await store.treeClaims.insertOne({ _id, campaignId, index, hash });
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    const holder = await store.treeClaims.findOne({ _id });
    if (holder && holder.index !== index) return holder.index;
  }
  await store.treeClaims.deleteMany({ campaignId, index, _id: { $ne: _id } });
  return null;
}

export const duplicateReason = (index: number) =>
  `the recipe it produces is identical to trial #${index}'s (same tree hash): that recipe is already trained or in flight`;

/** What a proposal's edits make of the parent recipe, or null when they do not apply or change nothing (apply labels those). */
export function editedRecipe(parentFiles: Map<string, string>, edits: Edit[]): Map<string, string> | null {
  try {
    const edited = applyEdits(parentFiles, edits);
    return [...edited].some(([f, c]) => parentFiles.get(f) !== c) ? edited : null;
  } catch (err) {
    if (err instanceof EditError) return null;
    throw err;
  }
}

/** Which trial holds the claim on `files`, without claiming: null when nobody does. */
export async function heldBy(store: Store, campaignId: string, files: Map<string, string>): Promise<number | null> {
  await claimBaseline(store, campaignId);
  return (await store.treeClaims.findOne({ _id: claimId(campaignId, recipeTreeHash(files)) }))?.index ?? null;
}
