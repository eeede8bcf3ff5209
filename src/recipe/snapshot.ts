// Recipe files travel between hosts through MongoDB, keyed by commit sha.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Store } from '../store/db.js';

export async function saveSnapshot(store: Store, campaignId: string, sha: string, files: Map<string, string>): Promise<void> {
  const doc = { campaignId, files: [...files].map(([p, content]) => ({ path: p, content })) };
  await store.snapshots.updateOne({ _id: sha }, { $set: doc }, { upsert: true });
}

export async function loadSnapshot(store: Store, sha: string): Promise<Map<string, string>> {
  const doc = await store.snapshots.findOne({ _id: sha });
  if (!doc) throw new Error(`no snapshot of recipe commit ${sha} in MongoDB`);
  return new Map(doc.files.map((f) => [f.path, f.content]));
}

export function writeCheckout(dir: string, files: Map<string, string>): void {
  for (const [rel, content] of files) {
    const file = path.join(dir, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
}
