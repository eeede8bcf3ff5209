// The paper's ablation table for any campaigns, live or imported: per campaign its baseline, best,
// relative gain, keeps, trials to the first keep, label mix, and tokens and dollars per keep; and
// the same as a plain-text table for the terminal (one column per campaign, like the paper's).
import { LABELS, type Label } from '../types.js';
import { expId } from '../export/blackboard.js';
import { gpuSeconds, totals, type Trajectory } from './trajectory.js';
import { bestKept, betterWord, type Direction } from '../metric.js';

export interface CampaignSummary {
  id: string;
  task: string;
  /** How the campaign ran: proposer, lineage on/off, roster; or where it was imported from. */
  arm: string;
  metric: string;
  direction: Direction;
  /** Trials after the baseline (trial 0). */
  trials: number;
  baseline: number | null;
  best: { score: number; index: number } | null;
  /** (best - baseline) / |baseline|: signed like the metric, as the paper reports it (val bpb -0.81%). */
  gain: number | null;
  keeps: number;
  /** Trials after the baseline up to and including the first keep; null without a keep. */
  toFirstKeep: number | null;
  /** Labels of the trials after the baseline. */
  labels: Partial<Record<Label, number>>;
  gpuHours: number;
  /** Proposer tokens and dollars; null when the source recorded none (the paper's files carry no usage). */
  tokens: number | null;
  dollars: number | null;
}

function arm({ campaign }: Trajectory): string {
  if (campaign.importedFrom) return `imported (${campaign.importedFrom.split('/').slice(-3).join('/')})`;
  const p = campaign.input.proposer;
  const roster = campaign.input.roster?.kind === 'generic' ? `${campaign.input.roster.agents} generic agents` : (campaign.input.roster?.kind ?? 'specialists');
  return p.kind === 'claude' ? `claude, lineage ${p.lineage === false ? 'off' : 'on'}, ${roster}` : `${p.kind}, ${roster}`;
}

export function summarize(t: Trajectory): CampaignSummary {
  const { campaign, trials } = t;
  const direction = campaign.metric.direction;
  const [root, ...rest] = trials;
  const baseline = campaign.baseline?.score ?? root?.score ?? null;
  const top = bestKept(direction, trials);
  const best: CampaignSummary['best'] = top ? { score: top.score!, index: top.index } : null;
  const firstKeep = rest.findIndex((x) => x.keep);
  const labels: CampaignSummary['labels'] = {};
  for (const x of rest) labels[x.label] = (labels[x.label] ?? 0) + 1;
  const sum = totals(trials);
  const recorded = !campaign.importedFrom || sum.inputTokens + sum.outputTokens + sum.dollars > 0;
  return {
    id: campaign._id,
    task: campaign.task,
    arm: arm(t),
    metric: campaign.metric.name,
    direction,
    trials: rest.length,
    baseline,
    best,
    gain: best && baseline ? (best.score - baseline) / Math.abs(baseline) : null,
    keeps: rest.filter((x) => x.keep).length,
    toFirstKeep: firstKeep < 0 ? null : firstKeep + 1,
    labels,
    gpuHours: trials.reduce((s, x) => s + gpuSeconds(x), 0) / 3600,
    tokens: recorded ? sum.inputTokens + sum.outputTokens : null,
    dollars: recorded ? sum.dollars : null,
  };
}

const num = (x: number) => String(Number(x.toPrecision(8)));
const pct = (x: number) => `${x > 0 ? '+' : ''}${(x * 100).toFixed(3)}%`;
const perKeep = (x: number | null, keeps: number, f: (v: number) => string) => (x === null ? '— (not recorded)' : keeps === 0 ? '— (no keep)' : f(x / keeps));

/** Rows of the comparison: a measure, then one cell per campaign. */
export function compareRows(s: CampaignSummary[]): string[][] {
  const metric = (f: (x: CampaignSummary) => string) => s.map(f);
  const present = LABELS.filter((l) => s.some((x) => x.labels[l]));
  return [
    ['task', ...metric((x) => x.task)],
    ['arm', ...metric((x) => x.arm)],
    ['metric', ...metric((x) => `${x.metric} (${betterWord(x.direction)} is better)`)],
    ['trials after baseline', ...metric((x) => String(x.trials))],
    ['baseline', ...metric((x) => (x.baseline === null ? '—' : num(x.baseline)))],
    ['best', ...metric((x) => (x.best ? `${num(x.best.score)} (${expId(x.best.index)})` : '—'))],
    ['relative gain', ...metric((x) => (x.gain === null ? '—' : pct(x.gain)))],
    ['keeps', ...metric((x) => String(x.keeps))],
    ['trials to first keep', ...metric((x) => (x.toFirstKeep === null ? '— (no keep)' : String(x.toFirstKeep)))],
    ['GPU hours', ...metric((x) => x.gpuHours.toFixed(2))],
    ['tokens per keep', ...metric((x) => perKeep(x.tokens, x.keeps, (v) => String(Math.round(v))))],
    ['dollars per keep', ...metric((x) => perKeep(x.dollars, x.keeps, (v) => `$${v.toFixed(4)}`))],
    ...present.map((l) => [`  ${l}`, ...metric((x) => (x.labels[l] ? `${x.labels[l]} (${((100 * x.labels[l]!) / x.trials).toFixed(1)}%)` : '0'))]),
  ];
}

export function compareText(s: CampaignSummary[]): string {
  const rows = [['', ...s.map((x) => x.id)], ...compareRows(s)];
  const labelAt = rows.findIndex((r) => r[0]!.startsWith('  '));
  if (labelAt > 0) rows.splice(labelAt, 0, ['label mix', ...s.map(() => '')]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
