// `lineage report`: one self-contained HTML page for a campaign — inline SVG charts drawn in
// Node, inline CSS, no scripts and no external resources, so it opens anywhere and archives well.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Store, TrialDoc } from '../store/db.js';
import { LABELS } from '../types.js';
import { expId } from '../export/blackboard.js';
import { costChart, encodings, labelChart, scoreChart, treeChart, whileLoadingVega } from './charts.js';
import { gpuSeconds, keepChain, loadTrajectory, parentIndexes, totals, type Trajectory } from './trajectory.js';
import { sig } from '../format.js';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const num = (x: number | null | undefined, digits = 5) => sig(x, digits);
const money = (x: number) => `$${x.toFixed(4)}`;
const hours = (s: number) => `${(s / 3600).toFixed(4)} h`;

function table(head: string[], rows: string[][], cls = ''): string {
  const th = head.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const tr = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('\n');
  return `<table class="${cls}"><thead><tr>${th}</tr></thead><tbody>\n${tr}\n</tbody></table>`;
}

/** Trials per proposer arm (proposal.origin), e.g. "offline 3 · optuna-tpe 5"; '—' when none records one. */
function armCounts(trials: TrialDoc[]): string {
  const n = new Map<string, number>();
  for (const t of trials) if (t.proposal?.origin) n.set(t.proposal.origin.arm, (n.get(t.proposal.origin.arm) ?? 0) + 1);
  return [...n].map(([arm, k]) => `${escapeHtml(arm)} ${k}`).join(' · ') || '—';
}

function labelCounts(trials: TrialDoc[]): string {
  const specialists = [...new Set(trials.map((t) => t.specialist))].sort();
  const present = LABELS.filter((l) => trials.some((t) => t.label === l));
  const rows = specialists.map((s) => [
    escapeHtml(s),
    ...present.map((l) => String(trials.filter((t) => t.specialist === s && t.label === l).length)),
    String(trials.filter((t) => t.specialist === s).length),
  ]);
  return table(['specialist', ...present, 'total'], rows, 'counts');
}

export async function renderReport({ campaign, trials }: Trajectory): Promise<string> {
  const parents = parentIndexes(trials);
  const chain = keepChain(trials, campaign.metric.direction, parents);
  const e = encodings(trials);
  const sum = totals(trials);
  const [scores, tree, labels, cost] = trials.length
    ? await Promise.all([
        scoreChart(campaign, trials, e),
        treeChart(trials, parents, new Set(chain.map((t) => t.index)), e),
        labelChart(trials, e),
        costChart(trials),
      ])
    : ['<p>no trials recorded yet</p>', '', '', ''];
  const metric = campaign.metric.name;
  const best = chain.at(-1);

  const chainHtml = chain
    .map((t, i) => {
      const prev = chain[i - 1];
      const delta = prev && t.score !== null && prev.score !== null ? ` (Δ ${num(t.score - prev.score)})` : '';
      const diff = t.diff === null ? '(no diff recorded)' : t.diff === '' ? '(baseline: unedited recipe)' : t.diff;
      return `<section class="keep"><h3>#${t.index} · ${escapeHtml(t.specialist)} · ${escapeHtml(metric)} ${num(t.score)}${delta}</h3>
<p>${escapeHtml(t.hypothesis)}</p><pre>${escapeHtml(diff)}</pre></section>`;
    })
    .join('\n');

  const perTrial = table(
    ['#', 'specialist', 'label', metric, 'input tokens', 'output tokens', 'dollars', 'GPU s', 'hypothesis / reason'],
    trials.map((t) => [
      String(t.index),
      escapeHtml(t.specialist),
      escapeHtml(t.label),
      num(t.score),
      String(t.usage?.inputTokens ?? 0),
      String(t.usage?.outputTokens ?? 0),
      money(t.usage?.dollars ?? 0),
      gpuSeconds(t).toFixed(1),
      escapeHtml(`${t.hypothesis}${t.keep ? '' : ` — ${t.reason}`}`.slice(0, 300)),
    ]),
    'trials',
  );

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Lineage report · ${escapeHtml(campaign._id)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1500px;padding:0 16px;color:#222}
h1{font-size:22px;margin:0 0 4px} h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd}
h3{font-size:14px;margin:12px 0 4px} .figure{overflow-x:auto} .tree{max-height:900px;overflow:auto;border:1px solid #eee}
table{border-collapse:collapse;font-size:12px} td,th{border:1px solid #ddd;padding:2px 6px;text-align:left;vertical-align:top}
table.trials td:nth-child(n+4):nth-child(-n+8){text-align:right;font-variant-numeric:tabular-nums}
pre{background:#f6f8fa;padding:8px;overflow-x:auto;font-size:12px;max-height:400px}
.summary td:first-child{font-weight:600}
</style></head><body>
<h1>Campaign ${escapeHtml(campaign._id)}</h1>
<p>task <b>${escapeHtml(campaign.task)}</b> · metric <b>${escapeHtml(metric)}</b> (${campaign.metric.direction})</p>
${table(
  ['', ''],
  [
    ['trials', String(sum.trials)],
    [`baseline ${escapeHtml(metric)}`, num(campaign.baseline?.score ?? trials[0]?.score)],
    [
      `best ${escapeHtml(metric)}`,
      best
        ? `${num(best.score)} (trial #${best.index}${campaign.importedFrom ? `, ${expId(best.index)}` : best.sha ? `, commit ${escapeHtml(best.sha.slice(0, 10))}` : ''})`
        : '—',
    ],
    ['keeps', String(trials.filter((t) => t.keep).length)],
    ['proposals by arm', armCounts(trials)],
    [
      'duplicates refused',
      `${trials.reduce((n, t) => n + (t.proposal?.duplicatesRefused ?? 0), 0)} (choices whose recipe was already trained or in flight, re-proposed before training)`,
    ],
    ['tokens', `${sum.inputTokens} in · ${sum.outputTokens} out`],
    ['dollars', money(sum.dollars)],
    ['GPU time', `${hours(sum.gpuSeconds)} (train + evaluate stages)`],
  ],
  'summary',
)}
<h2 id="scores">Scores and best so far</h2><div class="figure" id="score-chart">${scores}</div>
<h2 id="tree">Lineage tree</h2><div class="figure tree" id="tree-chart">${tree}</div>
<h2 id="labels">Labels per specialist</h2><div class="figure" id="label-chart">${labels}</div>${labelCounts(trials)}
<h2 id="keeps">Keep chain to the best trial</h2>${chainHtml || '<p>no kept trial</p>'}
<h2 id="cost">Tokens, dollars and GPU time</h2><div class="figure" id="cost-chart">${cost}</div>${perTrial}
</body></html>
`;
}

export async function writeReport(store: Store, campaignId: string, out: string): Promise<{ path: string; trials: number; bytes: number }> {
  const trajectory = await whileLoadingVega(loadTrajectory(store, campaignId));
  const html = await renderReport(trajectory);
  await mkdir(path.dirname(path.resolve(out)), { recursive: true });
  await writeFile(out, html);
  return { path: path.resolve(out), trials: trajectory.trials.length, bytes: Buffer.byteLength(html) };
}
