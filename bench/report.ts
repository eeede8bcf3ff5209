// Import, report, export and compare on a 900-trial campaign in the paper's released format (the
// size of its main Parameter Golf run), against the real MongoDB-wire server, side by side in one
// run: the functions the commands call, in this process, and the commands themselves as a user
// runs them (`lineage report|export|compare` in a fresh node: start-up, module loading, connecting
// included; median of LINEAGE_BENCH_RUNS, default 3). The campaign is synthesized with the release's
// quirks (bare exp ids, exp_ parents, release statuses, space-joined rows);
// LINEAGE_BENCH_RESULTS=path/to/results.tsv times a real file instead.
import { execa } from 'execa';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { repoRoot } from '../src/repoRoot.js';
import type { Store } from '../src/store/db.js';
import { mulberry32 } from '../src/proposers/offline.js';
import { importResults } from '../src/export/importResults.js';
import { exportCampaign, paperColumns } from '../src/export/blackboard.js';
import { writeReport } from '../src/report/html.js';
import { writeCompare } from '../src/report/compare.js';

const COLS = paperColumns('val_bpb');
const SPECIALISTS = ['arch', 'opt', 'quant', 'reg', 'loss', 'eval', 'curr', 'tok', 'ttt', 'meta'];

/** A results.tsv of n trials after the baseline, shaped like the release's pg_main. */
export function syntheticResults(n: number, seed: number): string {
  const rand = mulberry32(seed);
  const lines = [
    COLS.join('\t'),
    [
      '000',
      '2026-04-22T01:36:09Z',
      'baseline',
      '',
      '',
      'baseline',
      '1.0810 SOTA reference',
      '0',
      'baseline',
      '1.0810',
      '',
      '',
      '',
      '',
      '',
      '',
      '',
      'seed',
    ].join('\t'),
  ];
  let best = { id: '000', score: 1.081 };
  for (let i = 1; i <= n; i++) {
    const id = String(i).padStart(3, '0');
    const spec = SPECIALISTS[i % SPECIALISTS.length]!;
    const r = rand();
    const status =
      r < 0.04 ? 'keep' : r < 0.45 ? 'discard' : r < 0.78 ? 'size_blocked' : r < 0.84 ? 'eval_budget_overrun' : r < 0.9 ? 'harness_abort' : 'crash';
    const score =
      status === 'keep'
        ? best.score - 0.0001 - rand() * 0.0005
        : ['discard', 'size_blocked', 'eval_budget_overrun'].includes(status)
          ? best.score + rand() * 0.004 - 0.0003
          : null;
    const scored = score !== null;
    const hypothesis = `${spec}: a change to the recipe described in one or two sentences of about this length, with a mechanism and a risk, trial ${i}`;
    const rest = [
      '-0.0003',
      status,
      scored ? score.toFixed(6) : '',
      scored ? (score - best.score).toFixed(6) : '',
      '15990000',
      scored ? '600.1' : '',
      scored ? '760.2' : '',
      scored ? '1480.0' : '40.0',
      `apg-${spec}-${id}`,
      status === 'keep' ? `snapshots/${id}_${spec}` : '',
      status === 'crash' ? 'ChildFailedError (train_gpt.py:362 in __init__)' : '',
    ];
    const head = [id, `2026-04-22T${String(Math.floor(i / 40) % 24).padStart(2, '0')}:00:00Z`, spec, i % 40 === 0 ? `exp_${best.id}` : best.id, best.id, spec];
    // One row in twenty the way the release wrote 48 of its rows: quoted, leaked markup, space-joined.
    lines.push(
      i % 20 === 0
        ? `${head.join('\t')}\t"${hypothesis}</hypothesis> <parameter name=""notes"">n</parameter> </invoke>" ${rest.join(' ')}`
        : [...head, hypothesis, ...rest].join('\t'),
    );
    if (status === 'keep') best = { id, score: score! };
  }
  return lines.join('\n') + '\n';
}

async function timed<T>(f: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const x = await f();
  return [performance.now() - t0, x];
}

/** Median wall time of the real CLI (`node dist/src/cli/main.js …`) against the bench's database. */
async function cliMs(args: string[], env: NodeJS.ProcessEnv, runs: number): Promise<number> {
  const cli = path.join(repoRoot(), 'dist/src/cli/main.js');
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await execa(process.execPath, [cli, ...args], { env }); // a failing command throws with its stderr
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[runs >> 1]!;
}

export async function benchReport(store: Store, mongoUri: string): Promise<string[]> {
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
  const runs = Number(process.env.LINEAGE_BENCH_RUNS ?? 3);
  const env = { ...process.env, MONGODB_URI: mongoUri, LINEAGE_DB: store.db.databaseName };
  const cli = {
    report: await cliMs(['report', a, '--out', path.join(dir, 'cli-report.html')], env, runs),
    export: await cliMs(['export', a, '--out', path.join(dir, 'cli-export')], env, runs),
    compare: await cliMs(['compare', a, b, '--out', path.join(dir, 'cli-compare.html')], env, runs),
  };
  const n = imported.trials.length;
  const s = (ms: number) => `${(ms / 1000).toFixed(2).padStart(6)} s`;
  const met = (ms: number) => (ms < 5000 ? 'met' : 'NOT met');
  const line = (what: string, ms: number, command: number | null, extra = '') =>
    `  ${what.padEnd(26)} ${s(ms)}  ${command === null ? ' '.repeat(8) : s(command)}  (target < 5 s: ${met(Math.max(ms, command ?? 0))})${extra}`;
  return [
    `report / export / compare on a ${n}-trial campaign (${real ? real : "synthetic, in the release's format"}; MongoDB load included):`,
    `  ${''.padEnd(26)} ${'function'.padStart(8)}  ${'command'.padStart(8)}  (command: \`lineage …\` in a fresh node, median of ${runs})`,
    line('import results.tsv', importMs, null, `, ${imported.notes.filter((x) => x.kind === 'recovered').length} rows recovered`),
    line('report', reportMs, cli.report, `, ${Math.round(report.bytes / 1024)} KiB`),
    line('export', exportMs, cli.export),
    line(`compare (${n} vs ${compare.summaries[1]!.trials + 1})`, compareMs, cli.compare, `, ${Math.round(compare.bytes / 1024)} KiB`),
  ];
}
