// The report's charts, drawn to SVG in Node with Vega (vega-lite compiles the plain charts; the
// lineage tree needs Vega's own stratify/tree layout). The page then needs no JavaScript.
import { createRequire } from 'node:module';
import type * as vega from 'vega';
import type { TopLevelSpec } from 'vega-lite';
import { LABELS } from '../types.js';
import type { TrialDoc } from '../store/db.js';
import type { CampaignDoc } from '../store/db.js';
import { bestSoFar, gpuSeconds, thinTree, TREE_FULL_LIMIT } from './trajectory.js';
import { betterWord } from '../metric.js';

const PALETTE = ['#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#b279a2', '#ff9da6', '#9d755d', '#eeca3b', '#bab0ac'];
// Thirteen filled markers, one per label (vega's own eight plus star, hexagon, X and two bars).
const SHAPES = [
  'circle',
  'square',
  'cross',
  'diamond',
  'triangle-up',
  'triangle-down',
  'triangle-right',
  'triangle-left',
  'M0,-1L0.24,-0.31L0.95,-0.31L0.38,0.12L0.59,0.81L0,0.4L-0.59,0.81L-0.38,0.12L-0.95,-0.31L-0.24,-0.31Z',
  'M0,-1L0.87,-0.5L0.87,0.5L0,1L-0.87,0.5L-0.87,-0.5Z',
  'M-1,-0.6L-0.6,-1L0,-0.4L0.6,-1L1,-0.6L0.4,0L1,0.6L0.6,1L0,0.4L-0.6,1L-1,0.6L-0.4,0Z',
  'M-1,-0.35L1,-0.35L1,0.35L-1,0.35Z',
  'M-0.35,-1L0.35,-1L0.35,1L-0.35,1Z',
];

/** One colour per specialist and one marker per label, the same in every chart. */
interface Encodings {
  specialists: string[];
}

export function encodings(trials: TrialDoc[]): Encodings {
  return { specialists: [...new Set(trials.map((t) => t.specialist))].sort() };
}

const colorScale = (e: Encodings) => ({ domain: e.specialists, range: e.specialists.map((_, i) => PALETTE[i % PALETTE.length]!) });
const shapeScale = { domain: [...LABELS], range: SHAPES };

type Vega = typeof import('vega');
type VegaLite = typeof import('vega-lite');
let modules: [Vega, VegaLite] | undefined;

/**
 * Vega and Vega-Lite, loaded once on first use. Both are CommonJS: `require` loads them in a
 * third of the time `import()` takes, which first scans their megabyte of source for export names.
 */
function loadVega(): [Vega, VegaLite] {
  const require = createRequire(import.meta.url);
  return (modules ??= [require('vega') as Vega, require('vega-lite') as VegaLite]);
}

/**
 * Awaits a MongoDB read just started, loading Vega meanwhile: loading takes a command about as
 * long as the read, and blocks this thread, so it starts after one turn of the event loop, when
 * the query is on the wire and the server works on it.
 */
export async function whileLoadingVega<T>(reading: Promise<T>): Promise<T> {
  const [x] = await Promise.all([reading, new Promise<void>((r) => setImmediate(r)).then(loadVega)]);
  return x;
}

async function toSvg(spec: vega.Spec): Promise<string> {
  const [vg] = loadVega();
  const view = new vg.View(vg.parse(spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

export function vegaLiteSvg(spec: TopLevelSpec): Promise<string> {
  const [, vl] = loadVega();
  return toSvg(vl.compile(spec).spec);
}
const vl = vegaLiteSvg;

/**
 * A y range that a few wild scores (a diverged 2.6 among 1.07s) cannot flatten: the 2nd to 98th
 * percentile of the scores, widened to hold the whole best-so-far line. Null when nothing lies outside.
 */
function robustDomain(scores: number[], best: number[]): { domain: [number, number]; outside: number } | null {
  if (scores.length < 50) return null;
  const sorted = [...scores].sort((a, b) => a - b);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
  let [lo, hi] = [Math.min(q(0.02), ...best), Math.max(q(0.98), ...best)];
  const pad = (hi - lo) * 0.05 || Math.abs(hi) * 0.01 || 1;
  [lo, hi] = [lo - pad, hi + pad];
  const outside = scores.filter((v) => v < lo || v > hi).length;
  return outside ? { domain: [lo, hi], outside } : null;
}

/** Every trial's score by index (scored trials above, unscored ones in a strip below) and the best-so-far line. */
export function scoreChart(campaign: CampaignDoc, trials: TrialDoc[], e: Encodings): Promise<string> {
  const best = bestSoFar(trials, campaign.metric.direction);
  const rows = trials.map((t, i) => ({ index: t.index, specialist: t.specialist, label: t.label, score: t.score, best: best[i] }));
  const width = Math.min(1400, Math.max(600, trials.length * 3));
  const x = {
    field: 'index',
    type: 'quantitative' as const,
    title: 'trial',
    axis: { tickMinStep: 1, format: 'd' },
    scale: { domain: [0, Math.max(1, trials.at(-1)?.index ?? 1)] },
  };
  const size = trials.length > 500 ? 18 : 50;
  const y = robustDomain(
    trials.map((t) => t.score).filter((v): v is number => v !== null),
    best.filter((v): v is number => v !== null),
  );
  return vl({
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    data: { values: rows },
    vconcat: [
      {
        width,
        height: 320,
        title: `${campaign.metric.name} by trial (${betterWord(campaign.metric.direction)} is better)${y ? `; ${y.outside} outlying scores drawn at the axis edge` : ''}`,
        layer: [
          {
            transform: [{ filter: 'datum.score !== null' }],
            mark: { type: 'point', filled: true, opacity: 0.75, size },
            encoding: {
              x,
              y: {
                field: 'score',
                type: 'quantitative',
                title: campaign.metric.name,
                scale: y ? { zero: false, domain: y.domain, clamp: true } : { zero: false },
              },
              color: { field: 'specialist', type: 'nominal', scale: colorScale(e), title: 'specialist' },
              shape: { field: 'label', type: 'nominal', scale: shapeScale, title: 'label' },
            },
          },
          {
            transform: [{ filter: 'datum.best !== null' }],
            mark: { type: 'line', interpolate: 'step-after', color: '#222', strokeWidth: 1.5 },
            encoding: { x, y: { field: 'best', type: 'quantitative' } },
          },
        ],
      },
      {
        width,
        height: 24 * Math.max(1, new Set(trials.filter((t) => t.score === null).map((t) => t.label)).size),
        title: 'trials without a score',
        transform: [{ filter: 'datum.score === null' }],
        mark: { type: 'point', filled: true, opacity: 0.8, size },
        encoding: {
          x,
          y: { field: 'label', type: 'nominal', title: null },
          color: { field: 'specialist', type: 'nominal', scale: colorScale(e), title: 'specialist' },
          shape: { field: 'label', type: 'nominal', scale: shapeScale, title: 'label' },
        },
      },
    ],
    resolve: { scale: { color: 'shared', shape: 'shared' } },
  });
}

/** Label counts per specialist, stacked. */
export function labelChart(trials: TrialDoc[], e: Encodings): Promise<string> {
  // Counted here: one row per specialist and label, not one per trial for Vega to aggregate.
  const counts = new Map<string, { specialist: string; label: string; n: number }>();
  for (const t of trials) {
    const key = JSON.stringify([t.specialist, t.label]);
    const row = counts.get(key) ?? counts.set(key, { specialist: t.specialist, label: t.label, n: 0 }).get(key)!;
    row.n++;
  }
  return vl({
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    data: { values: [...counts.values()] },
    width: 520,
    height: { step: 26 },
    title: 'labels per specialist',
    mark: 'bar',
    encoding: {
      y: { field: 'specialist', type: 'nominal', sort: e.specialists, title: null },
      x: { aggregate: 'sum', field: 'n', type: 'quantitative', title: 'trials', axis: { tickMinStep: 1, format: 'd' } },
      color: { field: 'label', type: 'nominal', scale: { domain: [...LABELS], scheme: 'tableau20' }, title: 'label' },
      order: { field: 'label' },
    },
  });
}

/**
 * The points of a step-after line through cumulative values: where the value changed, and the last.
 * A point that repeats its predecessor's value draws nothing the line does not draw without it.
 */
function stepPoints(index: number[], values: number[], what: string): { index: number; what: string; value: number }[] {
  return values.flatMap((value, i) => (i === 0 || i === values.length - 1 || value !== values[i - 1] ? [{ index: index[i]!, what, value }] : []));
}

/** Cumulative GPU hours and dollars over the trial index. */
export function costChart(trials: TrialDoc[]): Promise<string> {
  let gpu = 0;
  let dollars = 0;
  const index = trials.map((t) => t.index);
  const gpuHours = trials.map((t) => (gpu += gpuSeconds(t) / 3600));
  const spent = trials.map((t) => (dollars += t.usage?.dollars ?? 0));
  const rows = [...stepPoints(index, gpuHours, 'GPU hours'), ...stepPoints(index, spent, 'dollars')];
  return vl({
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    data: { values: rows },
    facet: { column: { field: 'what', type: 'nominal', title: null } },
    spec: {
      width: 360,
      height: 180,
      mark: { type: 'line', interpolate: 'step-after' },
      encoding: {
        x: { field: 'index', type: 'quantitative', title: 'trial', axis: { tickMinStep: 1, format: 'd' } },
        y: { field: 'value', type: 'quantitative', title: 'cumulative' },
      },
    },
    resolve: { scale: { y: 'independent' } },
  });
}

/** The lineage tree, depth left to right; the keep chain to the best trial drawn heavy. */
export function treeChart(trials: TrialDoc[], parents: Map<number, number | null>, chain: Set<number>, e: Encodings): Promise<string> {
  // A large campaign draws its kept trials and their ancestors; the rest are counted (+N) on the node they grew from.
  const thin = trials.length > TREE_FULL_LIMIT;
  const { drawn, folded } = thin ? thinTree(trials, parents) : { drawn: trials, folded: new Map<number, number>() };
  const nodes = drawn.map((t) => ({
    id: t.index,
    parent: parents.get(t.index) ?? null,
    specialist: t.specialist,
    label: t.label,
    kept: chain.has(t.index),
    folded: folded.get(t.index) ?? 0,
  }));
  const leaves = nodes.length - new Set(nodes.map((n) => n.parent)).size + 1;
  const height = Math.min(6000, Math.max(240, leaves * (thin ? 16 : 9)));
  const width = Math.min(1400, Math.max(500, chain.size * 60));
  const title = thin
    ? `lineage tree (keep chain in red): the ${drawn.length} kept trials and their ancestors; +N counts the ${trials.length - drawn.length} other trials that grew from a node`
    : 'lineage tree (keep chain in red)';
  const spec: vega.Spec = {
    $schema: 'https://vega.github.io/schema/vega/v5.json',
    width,
    height,
    padding: 10,
    title: { text: title, anchor: 'start' },
    data: [
      {
        name: 'tree',
        values: nodes,
        transform: [
          { type: 'stratify', key: 'id', parentKey: 'parent' },
          { type: 'tree', method: 'tidy', size: [{ signal: 'height' }, { signal: 'width' }], separation: false, as: ['y', 'x', 'depth', 'children'] },
        ],
      },
      { name: 'links', source: 'tree', transform: [{ type: 'treelinks' }, { type: 'linkpath', orient: 'horizontal', shape: 'diagonal' }] },
    ],
    scales: [{ name: 'color', type: 'ordinal', ...colorScale(e) }],
    legends: [{ fill: 'color', title: 'specialist', orient: thin ? 'right' : 'top-left' }],
    marks: [
      {
        type: 'path',
        from: { data: 'links' },
        encode: {
          update: {
            path: { field: 'path' },
            stroke: { signal: "datum.target.kept ? '#d62728' : '#c8c8c8'" },
            strokeWidth: { signal: 'datum.target.kept ? 3 : 0.8' },
          },
        },
      },
      {
        type: 'symbol',
        from: { data: 'tree' },
        encode: {
          update: {
            x: { field: 'x' },
            y: { field: 'y' },
            fill: { scale: 'color', field: 'specialist' },
            size: { signal: `datum.kept ? 120 : ${nodes.length > 1000 ? 10 : 40}` },
            stroke: { signal: "datum.kept ? '#d62728' : null" },
            strokeWidth: { value: 2 },
          },
        },
      },
      {
        type: 'text',
        from: { data: 'tree' },
        encode: {
          update: {
            x: { field: 'x' },
            y: { field: 'y' },
            dy: { value: -10 },
            align: { value: 'center' },
            fontSize: { value: 10 },
            text: { signal: "datum.kept ? '#' + datum.id : ''" },
          },
        },
      },
      {
        type: 'text',
        from: { data: 'tree' },
        encode: {
          update: {
            x: { field: 'x' },
            y: { field: 'y' },
            // Beside the node; under a kept one, whose heavy keep-chain line leaves it to the right.
            dx: { signal: 'datum.kept ? 0 : 7' },
            dy: { signal: 'datum.kept ? 17 : 4' },
            align: { signal: "datum.kept ? 'center' : 'left'" },
            fontSize: { value: 9 },
            fill: { value: '#777' },
            text: { signal: "datum.folded ? '+' + datum.folded : ''" },
          },
        },
      },
    ],
  };
  return toSvg(spec);
}
