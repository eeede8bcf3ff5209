// `lineage report`: thin wrapper over src/report/html.ts.
import { Store } from '../store/db.js';
import { writeReport } from '../report/html.js';

export async function runReport(campaignId: string, out: string): Promise<void> {
  const store = await Store.connect();
  try {
    const r = await writeReport(store, campaignId, out);
    console.log(`wrote ${r.path} (${r.trials} trials, ${Math.round(r.bytes / 1024)} KiB, self-contained HTML)`);
  } finally {
    await store.close();
  }
}
