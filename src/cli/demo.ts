// `npm start`: local services, a control worker and CPU slots in this process, and a demo
// campaign on the shipped CPU task. State lives under .lineage/, so running it again after
// Ctrl-C resumes the same campaign where Temporal left it.
import path from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { startLocalServices } from '../services/local.js';
import { lineageHome, mongoDbName } from '../config.js';
import { StageDeps } from '../stageDeps.js';
import { cpuSlots } from '../runner/slot.js';
import { connectWorker, createControlWorker, createSlotWorkers } from '../workerHost.js';
import { temporalClient } from './client.js';
import { TrialFeed, failureGist } from './trialRows.js';
import { setupHost } from '../services/hostSetup.js';
import { existsSync } from 'node:fs';
import { CONTROL_QUEUE } from '../ids.js';
import { requireSandbox, sandboxLine } from '../runner/sandbox.js';
import type { CampaignInput, CampaignResult } from '../types.js';

interface DemoOptions {
  task: string;
  trials: number;
  /** Trials in flight, exactly; absent: slots × (1 + lookahead). */
  parallelism?: number;
  slots: number;
  lookahead: number;
  threads: number;
  campaignId: string;
}

export async function runDemo(o: DemoOptions): Promise<void> {
  const log = (line: string) => console.log(line);
  const home = lineageHome();
  // Everything the demo's task and the sandbox need, installed (as root) or named, before anything starts.
  await setupHost({ tasks: [o.task], log });
  const sandbox = sandboxLine(requireSandbox()); // a sandbox that does not work stops the demo here
  const services = await startLocalServices({ stateDir: path.join(home, 'services'), log });
  process.env.TEMPORAL_ADDRESS = services.temporalAddress;
  process.env.MONGODB_URI = services.mongoUri;

  const deps = await StageDeps.connect();
  const connection = await connectWorker(services.temporalAddress);
  const workers: Worker[] = [await createControlWorker(deps, connection), ...(await createSlotWorkers(deps, connection, cpuSlots(o.slots, o.threads)))];
  const running = Promise.all(workers.map((w) => w.run()));

  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    await running.catch(() => undefined);
    await connection.close();
    await deps.close();
    await services.stop();
    process.exit(code);
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      console.log('\nstopping workers and services; the campaign stays in Temporal — run `npm start` again to resume it');
      void shutdown(130);
    });
  }

  const client = await temporalClient(services.temporalAddress);
  const handle = client.workflow.getHandle(o.campaignId);
  let resumed = false;
  try {
    const d = await handle.describe();
    resumed = d.status.name === 'RUNNING';
    if (!resumed) console.log(`campaign ${o.campaignId} already finished (${d.status.name}); its results follow. Use --campaign NEW_ID for another.`);
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
    const input: CampaignInput = {
      campaignId: o.campaignId,
      task: o.task,
      budget: { trials: o.trials },
      slots: o.slots,
      lookahead: o.lookahead,
      ...(o.parallelism ? { parallelism: o.parallelism } : {}),
      proposer: { kind: 'offline' },
      seed: 1,
    };
    await client.workflow.start('campaign', { workflowId: o.campaignId, taskQueue: CONTROL_QUEUE, args: [input] });
  }
  console.log(
    `${resumed ? 'resuming' : 'campaign'} ${o.campaignId}: task ${o.task}, ${o.trials} trials, ${o.slots} CPU slots, ${o.parallelism ? `${o.parallelism} in flight` : `${o.lookahead} proposal ready per slot`}, ${sandbox} (offline proposer; no API key needed)`,
  );
  if (services.uiUrl) console.log(`Temporal UI: ${services.uiUrl}/namespaces/default/workflows/${o.campaignId}`);
  console.log(`MongoDB:     ${services.mongoUri}${mongoDbName()} (collections campaigns, trials)`);

  const campaignDoc = async () => deps.store.campaigns.findOne({ _id: o.campaignId });
  const feed = new TrialFeed(deps.store, o.campaignId);
  const ticker = setInterval(() => void feed.poll().catch(() => undefined), 1000);
  const result: CampaignResult = await handle.result();
  clearInterval(ticker);
  await feed.poll();

  const doc = await campaignDoc();
  const metric = doc?.metric.name ?? 'score';
  console.log('');
  const show = (x: number | null | undefined) => (x === null || x === undefined ? '—' : x.toFixed(4));
  console.log(`baseline ${metric}: ${show(doc?.baseline?.score)}`);
  console.log(`best ${metric}:     ${doc?.best ? `${show(doc.best.score)} (trial #${doc.best.index}, commit ${doc.best.sha.slice(0, 10)})` : '—'}`);
  console.log(
    `labels: ${Object.entries(result.status.counts)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}  — ${result.note}`,
  );
  const baseline = await deps.store.trials.findOne({ campaignId: o.campaignId, index: 0 });
  if (baseline && baseline.label !== 'keep') {
    console.log(`\nthe baseline ended ${baseline.label}: ${failureGist(baseline, 200)}`);
    for (const stage of ['train', 'eval']) {
      const file = path.join(home, 'logs', o.campaignId, `${baseline.trialId}.${stage}.log`);
      if (existsSync(file)) console.log(`  ${stage} log: ${file}`);
    }
    const lastLines = (baseline.logExcerpt || baseline.reason).trimEnd().split('\n').slice(-12);
    console.log(`  its last lines:\n${lastLines.map((l) => `    ${l}`).join('\n')}`);
  }
  console.log(`look: Temporal UI ${services.uiUrl ?? '(external)'} · MongoDB ${services.mongoUri}${mongoDbName()} · campaign ${o.campaignId}`);
  await shutdown(0);
}
