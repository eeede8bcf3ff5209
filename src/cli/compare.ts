// `lineage compare`: thin wrapper over src/report/compare.ts. Prints the comparison table and
// writes the HTML page.
import { Store } from '../store/db.js';
import { writeCompare } from '../report/compare.js';
import { compareText } from '../report/compareSummary.js';

export async function runCompare(ids: string[], out: string): Promise<void> {
  if (ids.length < 2) throw new Error('lineage compare: name at least two campaigns (lineage compare A B …)');
  const store = await Store.connect();
  try {
    const r = await writeCompare(store, ids, out);
    console.log(compareText(r.summaries));
    console.log(`wrote ${r.path} (${ids.length} campaigns, ${Math.round(r.bytes / 1024)} KiB, self-contained HTML)`);
  } finally {
    await store.close();
  }
}
