// `lineage watch`: a campaign's progress in the terminal until it ends — one row per finished
// trial (TrialFeed) and budget bars from the workflow's status query. On a terminal the bars are
// redrawn in place; piped, each change is one plain line, so logs and tests can read it.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { Store } from '../store/db.js';
import type { CampaignStatus } from '../types.js';
import { totals } from '../report/trajectory.js';
import { TrialFeed } from './trialRows.js';
import { temporalClient } from './client.js';

function bar(used: number, budget: number, width = 20): string {
  const frac = budget > 0 ? Math.min(1, used / budget) : 0;
  const full = Math.round(frac * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}]`;
}

/** Budget fields a campaign may carry besides trials (set-budget updates add them). */
interface ExtendedBudget {
  trials: number;
  gpuHours?: number;
  dollars?: number;
  deadline?: string;
}

function budgetLine(s: CampaignStatus, used: { gpuHours: number; dollars: number }): string {
  const budget = s.budget as ExtendedBudget;
  // The baseline is trial 0, outside the trial budget.
  const started = Math.max(0, s.started - 1);
  const finished = Math.max(0, s.finished - 1);
  const parts = [
    `${s.state.padEnd(9)} trials ${bar(finished, budget.trials)} ${finished}/${budget.trials} finished, ${started} started, ${s.inFlight.length} in flight`,
  ];
  parts.push(
    typeof budget.gpuHours === 'number'
      ? `GPU ${bar(used.gpuHours, budget.gpuHours, 10)} ${used.gpuHours.toFixed(3)}/${budget.gpuHours} h`
      : `GPU ${used.gpuHours.toFixed(3)} h`,
  );
  parts.push(
    typeof budget.dollars === 'number'
      ? `$ ${bar(used.dollars, budget.dollars, 10)} ${used.dollars.toFixed(2)}/${budget.dollars}`
      : `$${used.dollars.toFixed(2)}`,
  );
  if (budget.deadline) parts.push(`deadline ${budget.deadline}`);
  if (s.best) parts.push(`best ${Number(s.best.score.toPrecision(5))} (#${s.best.index})`);
  return parts.join(' · ');
}

interface WatchOptions {
  campaignId: string;
  intervalMs?: number;
  write?: (text: string) => void;
  tty?: boolean;
}

/** Watches until the campaign workflow closes; returns its final status name (COMPLETED, FAILED, …). */
async function watchCampaign(client: Client, store: Store, o: WatchOptions): Promise<string> {
  const write = o.write ?? ((t: string) => void process.stdout.write(t));
  const tty = o.tty ?? Boolean(process.stdout.isTTY);
  let barShown = false;
  const clearBar = () => {
    if (tty && barShown) write('\r\x1b[2K');
    barShown = false;
  };
  const feed = new TrialFeed(store, o.campaignId, (line) => {
    clearBar();
    write(`${line}\n`);
  });
  const handle = client.workflow.getHandle(o.campaignId);
  let last = '';
  for (;;) {
    const { status } = await handle.describe();
    await feed.poll();
    if (status.name !== 'RUNNING') {
      clearBar();
      return status.name;
    }
    const s = await handle.query<CampaignStatus>('status').catch(() => null);
    if (s) {
      const docs = await store.trials.find({ campaignId: o.campaignId }, { projection: { stages: 1, usage: 1 } }).toArray();
      const sum = totals(docs);
      const line = budgetLine(s, { gpuHours: sum.gpuSeconds / 3600, dollars: sum.dollars });
      if (tty) {
        clearBar();
        write(line);
        barShown = true;
      } else if (line !== last) write(`${line}\n`);
      last = line;
    }
    await new Promise((r) => setTimeout(r, o.intervalMs ?? 1000));
  }
}

/** The command: watch, then print how the campaign ended; exit status 0 only for a completed campaign. */
export async function runWatch(campaignId: string, intervalMs: number): Promise<number> {
  const [store, client] = await Promise.all([Store.connect(), temporalClient()]);
  try {
    const end = await watchCampaign(client, store, { campaignId, intervalMs }).catch((err: unknown) => {
      throw err instanceof WorkflowNotFoundError
        ? new Error(`lineage watch: no campaign workflow "${campaignId}" in Temporal (namespace ${client.options.namespace})`)
        : err;
    });
    const doc = await store.campaigns.findOne({ _id: campaignId });
    const best = doc?.best ? `best ${doc.metric.name} ${doc.best.score} (trial #${doc.best.index})` : 'no best';
    console.log(`campaign ${campaignId} ${end.toLowerCase()}: ${best}`);
    return end === 'COMPLETED' ? 0 : 1;
  } finally {
    await store.close();
    await client.connection.close();
  }
}
