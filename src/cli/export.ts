// `lineage export`: thin wrapper over src/export/blackboard.ts.
import path from 'node:path';
import { Store } from '../store/db.js';
import { exportCampaign } from '../export/blackboard.js';

export async function runExport(campaignId: string, dir: string): Promise<void> {
  const store = await Store.connect();
  try {
    const r = await exportCampaign(store, campaignId, dir);
    console.log(`exported ${r.trials} trials of ${campaignId} to ${r.dir}`);
    for (const f of r.files) console.log(`  ${path.join(r.dir, f)}`);
  } finally {
    await store.close();
  }
}
