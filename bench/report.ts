// Import, report, export and compare on a 900-trial campaign in the paper's released format (the
// size of its main Parameter Golf run), against the real MongoDB-wire server, side by side in one
// run. The campaign is synthesized with the release's quirks (bare exp ids, exp_ parents, release
// statuses, space-joined rows); LINEAGE_BENCH_RESULTS=path/to/results.tsv times a real file instead.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Store } from '../src/store/db.js';
import { mulberry32 } from '../src/proposers/offline.js';
import { importResults } from '../src/export/importResults.js';
import { exportCampaign } from '../src/export/blackboard.js';
import { writeReport } from '../src/report/html.js';
import { writeCompare } from '../src/report/compare.js';

const COLS = ['exp_id', 'timestamp', 'specialist', 'parent_exp', 'baseline_exp', 'domain', 'hypothesis', 'expected_delta', 'status', 'val_bpb', 'delta_vs_best', 'artifact_bytes', 'train_s', 'eval_s', 'total_s', 'job_name', 'snapshot_path', 'notes'];
const SPECIALISTS = ['arch', 'opt', 'quant', 'reg', 'loss', 'eval', 'curr', 'tok', 'ttt', 'meta'];

/** A results.tsv of n trials after the baseline, shaped like the release's pg_main. */
export function syntheticResults(n: number, seed: number): string {
  const rand = mulberry32(seed);
  const lines = [COLS.join('\t'), ['000', '2026-04-22T01:36:09Z', 'baseline', '', '', 'baseline', '1.0810 SOTA reference', '0', 'baseline', '1.0810', '', '', '', '', '', '', '', 'seed'].join('\t')];
  let best = { id: '000', score: 1.081 };
  for (let i = 1; i <= n; i++) {
    const id = String(i).padStart(3, '0');
    const spec = SPECIALISTS[i % SPECIALISTS.length]!;
    const r = rand();
    const status = r < 0.04 ? 'keep' : r < 0.45 ? 'discard' : r < 0.78 ? 'size_blocked' : r < 0.84 ? 'eval_budget_overrun' : r < 0.9 ? 'harness_abort' : 'crash';
    const score = status === 'keep' ? best.score - 0.0001 - rand() * 0.0005 : ['discard', 'size_blocked', 'eval_budget_overrun'].includes(status) ? best.score + rand() * 0.004 - 0.0003 : null;
    const scored = score !== null;
    const hypothesis = `${spec}: a change to the recipe described in one or two sentences of about this length, with a mechanism and a risk, trial ${i}`;
    const rest = ['-0.0003', status, scored ? score.toFixed(6) : '', scored ? (score - best.score).toFixed(6) : '', '15990000', scored ? '600.1' : '', scored ? '760.2' : '', scored ? '1480.0' : '40.0', `apg-${spec}-${id}`, status === 'keep' ? `snapshots/${id}_${spec}` : '', status === 'crash' ? 'ChildFailedError (train_gpt.py:362 in __init__)' : ''];
    const head = [id, `2026-04-22T${String(Math.floor(i / 40) % 24).padStart(2, '0')}:00:00Z`, spec, i % 40 === 0 ? `exp_${best.id}` : best.id, best.id, spec];
    // One row in twenty the way the release wrote 48 of its rows: quoted, leaked markup, space-joined.
    lines.push(i % 20 === 0 ? `${head.join('\t')}\t"${hypothesis}</hypothesis> <parameter name=""notes"">n</parameter> </invoke>" ${rest.join(' ')}` : [...head, hypothesis, ...rest].join('\t'));
    if (status === 'keep') best = { id, score: score! };
  }
  return lines.join('\n') + '\n';
}

async function timed<T>(f: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const x = await f();
  return [performance.now() - t0, x];
}

export async function benchReport(store: Store): Promise<string[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lineage-bench-report-'));
  const real = process.env.LINEAGE_BENCH_RESULTS;
  const big = real ?? path.join(dir, 'results-900.tsv');
  const small = path.join(dir, 'results-200.tsv');
  if (!real) writeFileSync(big, syntheticResults(900, 7));
  writeFileSync(small, syntheticResults(200, 8));
  const stamp = Date.now().toString(36);
  const [a, b] = [`bench-900-${stamp}`, `bench-200-${stamp}`];
  const [importMs, imported] = await timed(() => importResults(store, { file: big, campaignId: a, task: 'parameter-golf', direction: 'minimize' }));
  await importResults(store, { file: small, campaignId: b, task: 'parameter-golf', direction: 'minimize' });
  const [reportMs, report] = await timed(() => writeReport(store, a, path.join(dir, 'report.html')));
  const [exportMs] = await timed(() => exportCampaign(store, a, path.join(dir, 'export')));
  const [compareMs, compare] = await timed(() => writeCompare(store, [a, b], path.join(dir, 'compare.html')));
  const n = imported.trials.length;
  const line = (what: string, ms: number, extra = '') => `  ${what.padEnd(26)} ${(ms / 1000).toFixed(2).padStart(6)} s  (${(ms / reportMs).toFixed(2)}x the report; target < 5 s: ${ms < 5000 ? 'met' : 'NOT met'})${extra}`;
  return [
    `report / export / compare on a ${n}-trial campaign (${real ? real : 'synthetic, in the release\'s format'}; MongoDB load included):`,
    line('import results.tsv', importMs, `, ${imported.notes.filter((x) => x.kind === 'recovered').length} rows recovered`),
    line('report', reportMs, `, ${Math.round(report.bytes / 1024)} KiB`),
    line('export', exportMs),
    line(`compare (${n} vs ${compare.summaries[1]!.trials + 1})`, compareMs, `, ${Math.round(compare.bytes / 1024)} KiB`),
  ];
}
