// The terminal view of a campaign: one row per finished trial, read from MongoDB.
import type { Store, TrialDoc } from '../store/db.js';
import { isBetter, type Direction } from '../metric.js';
import { sig } from '../format.js';

const fmt = (x: number | null | undefined): string => sig(x, 5);

const EXCEPTION_LINE = /^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt|Warning)\b.*$/;

/** Why a trial failed, in a few words: the exception a traceback ends with, else the reason's first line. */
export function failureGist(t: Pick<TrialDoc, 'reason' | 'logExcerpt'>, width = 70): string {
  const lines = `${t.reason ?? ''}\n${t.logExcerpt ?? ''}`.split('\n').map((l) => l.trim());
  const exception = lines.filter((l) => EXCEPTION_LINE.test(l)).at(-1);
  const gist = (exception ?? lines.find(Boolean) ?? '').replace(/\s+/g, ' ');
  return gist.length > width ? `${gist.slice(0, width - 1)}…` : gist;
}

export function trialRow(t: TrialDoc, best: number | null): string {
  const idx = String(t.index).padStart(3);
  const who = t.specialist.padEnd(9);
  const hyp = (t.hypothesis || t.reason || '').replace(/\s+/g, ' ').slice(0, 44).padEnd(44);
  const row = `#${idx}  ${who} ${hyp}  ${t.label.padEnd(20)} score ${fmt(t.score).padEnd(8)} best ${fmt(best)}`;
  // A row that is no research outcome says why on the same line.
  return t.label === 'keep' || t.label === 'discard' ? row : `${row}  — ${failureGist(t)}`;
}

/** Prints rows for trials recorded since the last call; returns how many it printed. */
export class TrialFeed {
  private seen = new Set<string>();
  private best: number | null = null;

  private direction: Direction | null = null;

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
      if (t.keep && t.score !== null && (this.best === null || isBetter(this.direction!, t.score, this.best))) this.best = t.score;
      this.print(trialRow(t, this.best));
      n++;
    }
    return n;
  }
}
