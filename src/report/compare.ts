// `lineage compare A B …`: one self-contained HTML page comparing campaigns (the report's style:
// SVG drawn in Node by Vega-Lite, inline CSS, no script): best so far against trial number and
// against GPU hours for every campaign on one chart, the label mix, and the ablation table.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Store } from '../store/db.js';
import { LABELS } from '../types.js';
import { vegaLiteSvg, whileLoadingVega } from './charts.js';
import { escapeHtml } from './html.js';
import { compareRows, summarize, type CampaignSummary } from './compareSummary.js';
import { bestSoFar, gpuSeconds, HEAVY_FIELDS, loadTrajectories, type Trajectory } from './trajectory.js';
import { betterWord } from '../metric.js';

/**
 * Best-so-far steps of one campaign: only the trials where it moved, plus the last, so 900 trials
 * draw as a few dozen points. With `relative`, the value is the change against its own baseline (%).
 */
function steps(t: Trajectory, relative: boolean) {
  const best = bestSoFar(t.trials, t.campaign.metric.direction);
  const base = t.campaign.baseline?.score ?? t.trials[0]?.score ?? null;
  const out: { campaign: string; trial: number; gpuHours: number; best: number }[] = [];
  let gpu = 0;
  t.trials.forEach((x, i) => {
    gpu += gpuSeconds(x) / 3600;
    const b = best[i];
    if (b === null || b === undefined) return;
    const value = relative ? (base ? (100 * (b - base)) / Math.abs(base) : 0) : b;
    const moved = !out.length || out.at(-1)!.best !== value;
    if (moved || i === t.trials.length - 1) out.push({ campaign: t.campaign._id, trial: x.index, gpuHours: gpu, best: value });
  });
  return out;
}

async function compareChart(ts: Trajectory[]): Promise<string> {
  const same = new Set(ts.map((t) => `${t.campaign.metric.name}/${t.campaign.metric.direction}`)).size === 1;
  const metric = ts[0]!.campaign.metric;
  // Campaigns of one metric share its axis; otherwise each is drawn as its change against its own baseline.
  const y = same ? `best ${metric.name} so far (${betterWord(metric.direction)} is better)` : 'best so far: change vs own baseline (%)';
  const rows = ts.flatMap((t) => steps(t, !same));
  const color = { field: 'campaign', type: 'nominal' as const, title: 'campaign', sort: ts.map((t) => t.campaign._id), legend: { labelLimit: 400 } };
  const panel = (field: 'trial' | 'gpuHours', title: string) => ({
    width: 460,
    height: 300,
    layer: [
      {
        mark: { type: 'line' as const, interpolate: 'step-after' as const, strokeWidth: 2 },
        encoding: {
          x: { field, type: 'quantitative' as const, title },
          y: { field: 'best', type: 'quantitative' as const, title: y, scale: { zero: false } },
          color,
        },
      },
      {
        mark: { type: 'point' as const, filled: true, size: 36 },
        encoding: { x: { field, type: 'quantitative' as const }, y: { field: 'best', type: 'quantitative' as const }, color },
      },
    ],
  });
  return vegaLiteSvg({
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    data: { values: rows },
    title: { text: 'best so far (points: a new best)', anchor: 'start' },
    hconcat: [panel('trial', 'trial'), panel('gpuHours', 'GPU hours (train + evaluate)')],
    resolve: { scale: { y: 'shared' } },
  });
}

/** Each campaign's trials after the baseline by label, as shares of 100%. */
function labelMixChart(s: CampaignSummary[]): Promise<string> {
  const rows = s.flatMap((x) => Object.entries(x.labels).map(([label, n]) => ({ campaign: x.id, label, n })));
  return vegaLiteSvg({
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    data: { values: rows },
    width: 720,
    height: { step: 30 },
    title: { text: 'label mix (trials after the baseline)', anchor: 'start' },
    mark: 'bar',
    encoding: {
      y: { field: 'campaign', type: 'nominal', sort: s.map((x) => x.id), title: null, axis: { labelLimit: 400 } },
      x: { aggregate: 'sum', field: 'n', type: 'quantitative', stack: 'normalize', title: 'share of trials', axis: { format: '%' } },
      color: { field: 'label', type: 'nominal', scale: { domain: [...LABELS], scheme: 'tableau20' }, title: 'label' },
      order: { field: 'label' },
    },
  });
}

async function renderCompare(ts: Trajectory[]): Promise<string> {
  const s = ts.map(summarize);
  const [chart, mix] = await Promise.all([compareChart(ts), labelMixChart(s)]);
  const rows = compareRows(s);
  const head = `<tr><th></th>${s.map((x) => `<th>${escapeHtml(x.id)}</th>`).join('')}</tr>`;
  const body = rows
    .map(
      ([m, ...cells]) =>
        `<tr${m!.startsWith('  ') ? ' class="label"' : ''}><td>${escapeHtml(m!.trim())}</td>${cells.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`,
    )
    .join('\n');
  const table = `<table class="compare"><thead>${head}</thead><tbody>\n${body}\n</tbody></table>`.replace(
    /(<tr class="label">)/,
    `<tr class="section"><td colspan="${s.length + 1}">label mix (trials after the baseline)</td></tr>\n$1`,
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Lineage compare · ${escapeHtml(s.map((x) => x.id).join(' vs '))}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1500px;padding:0 16px;color:#222}
h1{font-size:22px;margin:0 0 4px} h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd}
.figure{overflow-x:auto}
table{border-collapse:collapse;font-size:13px} td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
table.compare td:not(:first-child){font-variant-numeric:tabular-nums}
table.compare td:first-child{font-weight:600} tr.label td:first-child{font-weight:400;padding-left:22px}
tr.section td{background:#f6f8fa;font-weight:600}
</style></head><body>
<h1>Compare ${escapeHtml(s.map((x) => x.id).join(' · '))}</h1>
<p>${s.length} campaigns · best so far moves only on kept, scored trials · GPU hours are train + evaluate stage time</p>
<h2 id="best">Best so far</h2><div class="figure" id="compare-chart">${chart}</div>
<h2 id="table">Campaigns side by side</h2>${table}
<h2 id="labels">Label mix</h2><div class="figure" id="label-mix-chart">${mix}</div>
</body></html>
`;
}

export async function writeCompare(store: Store, ids: string[], out: string): Promise<{ path: string; bytes: number; summaries: CampaignSummary[] }> {
  const ts = await whileLoadingVega(loadTrajectories(store, ids, { without: HEAVY_FIELDS }));
  const html = await renderCompare(ts);
  await mkdir(path.dirname(path.resolve(out)), { recursive: true });
  await writeFile(out, html);
  return { path: path.resolve(out), bytes: Buffer.byteLength(html), summaries: ts.map(summarize) };
}
