#!/usr/bin/env node
// The `lineage` command. Every subcommand talks to Temporal and MongoDB through
// TEMPORAL_ADDRESS and MONGODB_URI (defaults: the local services `lineage services` starts).
import { Command, InvalidArgumentError } from 'commander';
import path from 'node:path';
import { CONTROL_QUEUE } from '../ids.js';
import { lineageHome } from '../config.js';
import type { CampaignInput, CampaignStatus, ProposerConfig } from '../types.js';
import { temporalClient } from './client.js';

const int = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('a whole number');
  return n;
};

/** Claude when asked for or when a key is set; otherwise the offline proposer, said in one line. */
function chooseProposer(o: { proposer?: string; model?: string; lineage: boolean; metaEvery: number }): ProposerConfig {
  const kind = o.proposer ?? (process.env.ANTHROPIC_API_KEY ? 'claude' : 'offline');
  if (kind === 'offline') {
    if (!process.env.ANTHROPIC_API_KEY) console.log('ANTHROPIC_API_KEY is not set: using the offline proposer (no model calls).');
    return { kind: 'offline' };
  }
  if (kind !== 'claude') throw new InvalidArgumentError(`--proposer: claude or offline, not ${kind}`);
  return { kind: 'claude', lineage: o.lineage, metaEvery: o.metaEvery, ...(o.model ? { model: { model: o.model } } : {}) };
}

const program = new Command('lineage').description('Durable auto-research campaigns on Temporal').showHelpAfterError();

program
  .command('demo')
  .description('start local services and workers, and run (or resume) a demo campaign on a CPU task')
  .option('--task <name>', 'task under tasks/', 'golf-mini')
  .option('--trials <n>', 'trial budget (besides the baseline)', int, 8)
  .option('--parallelism <n>', 'trials in flight', int, 2)
  .option('--slots <n>', 'CPU slots', int, 2)
  .option('--threads <n>', 'threads per slot', int, 1)
  .option('--campaign <id>', 'campaign id (the same id resumes)', 'demo-golf-mini')
  .action(async (o) => {
    const { runDemo } = await import('./demo.js');
    await runDemo({ task: o.task, trials: o.trials, parallelism: o.parallelism, slots: o.slots, threads: o.threads, campaignId: o.campaign });
  });

program
  .command('services')
  .description('start the local Temporal dev server and FerretDB, print their addresses, keep them until Ctrl-C')
  .action(async () => {
    const { startLocalServices } = await import('../services/local.js');
    const s = await startLocalServices({ stateDir: path.join(lineageHome(), 'services') });
    console.log(`TEMPORAL_ADDRESS=${s.temporalAddress}\nMONGODB_URI=${s.mongoUri}\nTemporal UI: ${s.uiUrl ?? '(external)'}`);
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void s.stop().then(() => process.exit(0)));
    setInterval(() => undefined, 1 << 30); // stay up (and own the services) until a signal
  });

const worker = program.command('worker').description('run a worker process');
worker
  .command('control')
  .description('workflows and control activities (propose, apply, preflight, judge, record)')
  .action(async () => {
    const { runControlWorker } = await import('../../workers/control.js');
    await runControlWorker();
  });
worker
  .command('gpu')
  .description('train and evaluate slots: one per GPU (--gpus 0,1) or --slots N on CPU')
  .option('--gpus <list>', 'GPU indices, one slot each, pinned with CUDA_VISIBLE_DEVICES')
  .option('--slots <n>', 'CPU slots when there is no GPU', int, 1)
  .option('--threads <n>', 'threads per slot', int, 1)
  .action(async (o) => {
    const { runGpuWorker } = await import('../../workers/gpu.js');
    await runGpuWorker({ gpus: o.gpus ? String(o.gpus).split(',') : null, slots: o.slots, threads: o.threads });
  });

program
  .command('start')
  .description('start a campaign (the same as temporal workflow start --type campaign)')
  .requiredOption('--task <name>', 'task under tasks/')
  .option('--id <campaignId>', 'campaign id', `c-${Date.now().toString(36)}`)
  .option('--preset <name>', 'task preset: cpu or gpu', 'cpu')
  .option('--trials <n>', 'trial budget (besides the baseline)', int, 8)
  .option('--parallelism <n>', 'trials in flight', int, 2)
  .option('--seed <n>', 'proposer seed', int, 1)
  .option('--proposer <kind>', 'claude or offline (default: claude when ANTHROPIC_API_KEY is set)')
  .option('--model <id>', 'Claude model for every specialist')
  .option('--no-lineage', 'control arm: proposals see no lineage')
  .option('--roster <kind>', 'specialists, generalist, or generic (with --agents)', 'specialists')
  .option('--agents <n>', 'generic agents for --roster generic', int, 4)
  .option('--meta-every <n>', 'meta analyst refreshes the key insights every N trials (0: never)', int, 10)
  .option('--dollars <n>', 'dollar budget for model calls', Number)
  .option('--wait', 'wait for the campaign and print its result')
  .action(async (o) => {
    const client = await temporalClient();
    const input: CampaignInput = {
      campaignId: o.id,
      task: o.task,
      preset: o.preset,
      budget: { trials: o.trials, ...(o.dollars !== undefined ? { dollars: o.dollars } : {}) },
      parallelism: o.parallelism,
      proposer: chooseProposer(o),
      roster: o.roster === 'generic' ? { kind: 'generic', agents: o.agents } : { kind: o.roster },
      seed: o.seed,
    };
    const handle = await client.workflow.start('campaign', { workflowId: o.id, taskQueue: CONTROL_QUEUE, args: [input] });
    console.log(`started campaign ${handle.workflowId}`);
    if (o.wait) console.log(JSON.stringify((await handle.result()).status, null, 2));
  });

program
  .command('status <campaignId>')
  .description('query a campaign: in-flight trials, best, counts by label')
  .action(async (id: string) => {
    const client = await temporalClient();
    const s: CampaignStatus = await client.workflow.getHandle(id).query('status');
    console.log(JSON.stringify(s, null, 2));
  });

for (const [name, what] of [
  ['pause', 'start no new trials; in-flight trials finish'],
  ['resume', 'start trials again'],
  ['stop', 'finish in-flight trials, start no more, end the campaign'],
] as const) {
  program
    .command(`${name} <campaignId>`)
    .description(what)
    .action(async (id: string) => {
      const client = await temporalClient();
      await client.workflow.getHandle(id).signal(name);
      console.log(`${name} sent to ${id}`);
    });
}

program
  .command('report <campaignId>')
  .description('write one self-contained HTML report of a campaign: scores, lineage tree, labels, keep chain, cost')
  .option('--out <path>', 'HTML file to write (default: lineage-report-<campaignId>.html)')
  .action(async (id: string, o) => {
    const { runReport } = await import('./report.js');
    await runReport(id, o.out ?? `lineage-report-${id}.html`);
  });

program
  .command('export <campaignId>')
  .description("write trials.jsonl and the paper's blackboard results.tsv and tree.tsv")
  .option('--out <dir>', 'folder to write (default: lineage-export-<campaignId>)')
  .action(async (id: string, o) => {
    const { runExport } = await import('./export.js');
    await runExport(id, o.out ?? `lineage-export-${id}`);
  });

program
  .command('import <resultsTsv>')
  .description("read a blackboard results.tsv (the paper's runs, or a lineage export) into MongoDB as a campaign")
  .requiredOption('--campaign <id>', 'campaign id to create')
  .requiredOption('--task <name>', 'task name recorded on the campaign')
  .option('--metric <name>', 'score column (default: the column after status)')
  .option('--direction <dir>', 'minimize or maximize (default: the task\'s, when tasks/<name> exists)')
  .action(async (file: string, o) => {
    const { runImport } = await import('./import.js');
    await runImport(file, { campaignId: o.campaign, task: o.task, metric: o.metric, direction: o.direction });
  });

program
  .command('watch <campaignId>')
  .description('follow a campaign until it ends: trial rows and budget bars')
  .option('--interval <ms>', 'poll interval', int, 1000)
  .action(async (id: string, o) => {
    const { runWatch } = await import('./watch.js');
    process.exitCode = await runWatch(id, o.interval);
  });

program.parseAsync().catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  console.error(message.startsWith('lineage') ? message : `lineage: ${message}`);
  process.exit(1);
});
