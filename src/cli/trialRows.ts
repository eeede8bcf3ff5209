// The terminal view of a campaign: one row per finished trial, read from MongoDB.
import type { Store, TrialDoc } from '../store/db.js';

function fmt(x: number | null | undefined): string {
  return x === null || x === undefined ? '—' : Number(x.toPrecision(5)).toString();
}

export function trialRow(t: TrialDoc, best: number | null): string {
  const idx = String(t.index).padStart(3);
  const who = t.specialist.padEnd(9);
  const label = t.label.padEnd(20);
  const hyp = (t.hypothesis || t.reason || '').replace(/\s+/g, ' ').slice(0, 44).padEnd(44);
  return `#${idx}  ${who} ${hyp}  ${label} score ${fmt(t.score).padEnd(8)} best ${fmt(best)}`;
}

/** Prints rows for trials recorded since the last call; returns how many it printed. */
export class TrialFeed {
  private seen = new Set<string>();
  private best: number | null = null;

  private direction: 'minimize' | 'maximize' | null = null;

  constructor(
    private readonly store: Store,
    private readonly campaignId: string,
    private readonly print: (line: string) => void = console.log,
  ) {}

  async poll(): Promise<number> {
    // The campaign document appears once the workflow's setup has run.
    this.direction ??= (await this.store.campaigns.findOne({ _id: this.campaignId }))?.metric.direction ?? null;
    if (!this.direction) return 0;
    const docs = await this.store.trials.find({ campaignId: this.campaignId }).sort({ index: 1 }).toArray();
    let n = 0;
    for (const t of docs) {
      if (this.seen.has(t._id)) continue;
      this.seen.add(t._id);
      if (t.keep && t.score !== null && (this.best === null || (this.direction === 'minimize' ? t.score < this.best : t.score > this.best))) this.best = t.score;
      this.print(trialRow(t, this.best));
      n++;
    }
    return n;
  }
}
