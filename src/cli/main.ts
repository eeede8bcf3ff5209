#!/usr/bin/env node
// The `lineage` command. Every subcommand talks to Temporal and MongoDB through
// TEMPORAL_ADDRESS and MONGODB_URI (defaults: the local services `lineage services` starts).
// Only commander loads up front: each command imports what it uses, so `--help` and
// `status` do not pay for the Temporal SDK's gRPC stack or the task loader.
import { Command, InvalidArgumentError } from 'commander';
import path from 'node:path';
import { CONTROL_QUEUE } from '../ids.js';
import type { Budget, BudgetChange, CampaignInput, CampaignResult, OptunaSampler, ProposerConfig } from '../types.js';
import { formatStatus } from './statusView.js';

const temporalClient = async (address?: string) => (await import('./client.js')).temporalClient(address);
const lineageHome = async () => (await import('../config.js')).lineageHome();

const int = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('a whole number');
  return n;
};

/** Claude when asked for or when a key is set; otherwise the offline proposer, said in one line. */
function chooseProposer(o: { proposer?: string; model?: string; lineage: boolean; metaEvery: number; sampler?: string; hybrid?: boolean }): ProposerConfig {
  const kind = o.proposer ?? (process.env.ANTHROPIC_API_KEY ? 'claude' : 'offline');
  const sampler = o.sampler as OptunaSampler | undefined;
  if (sampler !== undefined && sampler !== 'tpe' && sampler !== 'cmaes') throw new InvalidArgumentError(`--sampler: tpe or cmaes, not ${sampler}`);
  if (kind === 'optuna') return { kind: 'optuna', ...(sampler ? { sampler } : {}) };
  if (kind === 'offline') {
    if (!process.env.ANTHROPIC_API_KEY) console.log('ANTHROPIC_API_KEY is not set: using the offline proposer (no model calls).');
    return { kind: 'offline' };
  }
  if (kind !== 'claude') throw new InvalidArgumentError(`--proposer: claude, optuna or offline, not ${kind}`);
  const optimizer = o.hybrid ? { optimizer: { kind: 'optuna' as const, ...(sampler ? { sampler } : {}) } } : {};
  return { kind: 'claude', lineage: o.lineage, metaEvery: o.metaEvery, ...(o.model ? { model: { model: o.model } } : {}), ...optimizer };
}

const amount = (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('a number >= 0');
  return n;
};

/** The object without its undefined fields (unset options stay out of workflow input). */
const defined = <T extends object>(x: T) => Object.fromEntries(Object.entries(x).filter(([, v]) => v !== undefined)) as T;

/** An update the workflow's validator refused: print its reason, exit 1. */
async function refused(err: unknown): Promise<never> {
  const { WorkflowUpdateFailedError } = await import('@temporalio/client');
  if (err instanceof WorkflowUpdateFailedError) {
    console.error(`refused: ${err.cause instanceof Error ? err.cause.message : err.message}`);
    process.exit(1);
  }
  throw err;
}

const program = new Command('lineage').description('Durable auto-research campaigns on Temporal').showHelpAfterError();

const unsafeOption = [
  '--no-sandbox',
  'UNSAFE: run trials without bubblewrap (same as LINEAGE_SANDBOX=off); printed on start and recorded in every trial',
] as const;
/** commander turns --no-sandbox into sandbox: false. */
const applyUnsafe = (o: { sandbox?: boolean }) => {
  if (o.sandbox === false) process.env.LINEAGE_SANDBOX = 'off';
};

program
  .command('demo')
  .description('start local services and workers, and run (or resume) a demo campaign on a CPU task')
  .option('--task <name>', 'task under tasks/', 'golf-mini')
  .option('--trials <n>', 'trial budget (besides the baseline)', int, 8)
  .option('--slots <n>', 'CPU slots', int, 2)
  .option('--lookahead <n>', 'proposals kept ready per slot', int, 1)
  .option('--parallelism <n>', 'trials in flight, exactly (instead of slots × (1 + lookahead))', int)
  .option('--threads <n>', 'threads per slot', int, 1)
  .option('--campaign <id>', 'campaign id (the same id resumes)', 'demo-golf-mini')
  .option(...unsafeOption)
  .action(async (o) => {
    applyUnsafe(o);
    const { runDemo } = await import('./demo.js');
    await runDemo({
      task: o.task,
      trials: o.trials,
      parallelism: o.parallelism,
      slots: o.slots,
      lookahead: o.lookahead,
      threads: o.threads,
      campaignId: o.campaign,
    });
  });

program
  .command('services')
  .description('start the local Temporal dev server and FerretDB, print their addresses, keep them until Ctrl-C')
  .action(async () => {
    const { startLocalServices } = await import('../services/local.js');
    const s = await startLocalServices({ stateDir: path.join(await lineageHome(), 'services') });
    console.log(`TEMPORAL_ADDRESS=${s.temporalAddress}\nMONGODB_URI=${s.mongoUri}\nTemporal UI: ${s.uiUrl ?? '(external)'}`);
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void s.stop().then(() => process.exit(0)));
    setInterval(() => undefined, 1 << 30); // stay up (and own the services) until a signal
  });

const worker = program.command('worker').description('run a worker process');
worker
  .command('control')
  .description('workflows and control activities (propose, apply, preflight, judge, record)')
  .option(...unsafeOption)
  .action(async (o) => {
    applyUnsafe(o);
    const { runControlWorker } = await import('../../workers/control.js');
    await runControlWorker();
  });
worker
  .command('gpu')
  .description('train and evaluate slots: one per GPU (--gpus 0,1) or --slots N on CPU')
  .option('--gpus <list>', 'GPU indices, one slot each, pinned with CUDA_VISIBLE_DEVICES')
  .option('--slots <n>', 'CPU slots when there is no GPU', int, 1)
  .option('--threads <n>', 'threads per slot', int, 1)
  .option(...unsafeOption)
  .action(async (o) => {
    applyUnsafe(o);
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
  .option('--slots <n>', 'train slots the workers offer this campaign (default 2)', int)
  .option('--lookahead <n>', 'proposals kept ready per slot, so a freed slot trains at once (default 1)', int)
  .option('--parallelism <n>', 'trials in flight, exactly (instead of slots × (1 + lookahead))', int)
  .option('--no-rebase', 'train a ready trial on its parent even when the best moved before its slot freed')
  .option('--seed <n>', 'proposer seed', int, 1)
  .option('--gpu-hours <h>', 'stop starting trials once train + evaluate took this many hours', amount)
  .option('--dollars <d>', 'proposer dollar cap: no model call once spent', amount)
  .option('--deadline <iso>', 'ISO time after which no trial starts')
  .option('--plateau-trials <n>', 'stop after this many finished trials without a keep', int)
  .option('--plateau-hours <h>', 'stop after this many hours without a keep', amount)
  .option('--bandit', 'choose specialists per slot with the bandit instead of round-robin')
  .option('--trials-per-run <n>', 'trials per workflow run before continue-as-new', int)
  .option('--proposer <kind>', 'claude, optuna or offline (default: claude when ANTHROPIC_API_KEY is set)')
  .option('--sampler <name>', 'optuna sampler: tpe (default) or cmaes')
  .option('--hybrid', "claude sees the optuna optimizer's suggestion in its lineage view")
  .option('--model <id>', 'Claude model for every specialist')
  .option('--no-lineage', 'control arm: proposals see no lineage')
  .option('--roster <kind>', 'specialists, generalist, or generic (with --agents)', 'specialists')
  .option('--agents <n>', 'generic agents for --roster generic', int, 4)
  .option('--meta-every <n>', 'meta analyst refreshes the key insights every N trials (0: never)', int, 10)
  .option('--specialists <names>', 'only these members of the roster, comma-separated')
  .option(
    '--outage-limit <minutes>',
    'how long a stage waits out an unreachable MongoDB, git, worker or full disk before its trial ends infra_error (default 30)',
    amount,
  )
  .option('--wait', 'wait for the campaign and print its result')
  .action(async (o) => {
    const client = await temporalClient();
    const plateau = defined({ trials: o.plateauTrials as number | undefined, hours: o.plateauHours as number | undefined });
    const input: CampaignInput = defined({
      campaignId: o.id,
      task: o.task,
      preset: o.preset,
      budget: defined({ trials: o.trials, gpuHours: o.gpuHours, dollars: o.dollars, deadline: o.deadline }),
      plateau: Object.keys(plateau).length ? plateau : undefined,
      // An explicit parallelism is the old scheduling: exactly that many in flight.
      slots: o.parallelism ? o.slots : (o.slots ?? 2),
      lookahead: o.lookahead,
      parallelism: o.parallelism,
      rebase: o.rebase === false ? false : undefined,
      proposer: chooseProposer(o),
      roster: o.roster === 'generic' ? { kind: 'generic' as const, agents: o.agents as number } : { kind: o.roster as 'specialists' | 'generalist' },
      seed: o.seed,
      specialistChoice: o.bandit ? ('bandit' as const) : undefined,
      trialsPerRun: o.trialsPerRun,
      specialists: o.specialists
        ? String(o.specialists)
            .split(',')
            .map((x) => x.trim())
            .filter(Boolean)
        : undefined,
      outageLimitMinutes: o.outageLimit,
    });
    const handle = await client.workflow.start('campaign', { workflowId: o.id, taskQueue: CONTROL_QUEUE, args: [input] });
    console.log(`started campaign ${handle.workflowId}`);
    if (o.wait) {
      const result: CampaignResult = await handle.result();
      console.log(`${formatStatus(result.status)}\n${result.note}`);
    }
  });

program
  .command('setup')
  .description("install (as root) or name what this host needs: the trial sandbox, the tasks' packages and data, the service binaries")
  .option('--task <names...>', 'tasks whose requirements to provision (default: golf-mini)')
  .option('--tests', 'also what `npm test` needs (chromium, a compose client, every shipped task)')
  .option('--check', 'only check; install nothing')
  .action(async (o: { task?: string[]; tests?: boolean; check?: boolean }) => {
    const { setupHost, shippedTaskDirs } = await import('../services/hostSetup.js');
    const { ensureBinaries } = await import('../services/provision.js');
    const tasks = o.tests ? shippedTaskDirs(true) : (o.task ?? ['golf-mini']);
    await setupHost({ tasks, tests: o.tests, install: !o.check, log: (l) => console.log(l) });
    const { repoRoot } = await import('../task/spec.js');
    if (!o.check) await ensureBinaries(path.join(repoRoot(), '.lineage'), { log: (l) => console.log(l) });
    console.log(
      `ready: ${o.tests ? 'the tests and every shipped task' : tasks.join(', ')}${process.env.LINEAGE_SANDBOX === 'off' ? ' (sandbox off by LINEAGE_SANDBOX=off)' : ', the trial sandbox'}`,
    );
  });

program
  .command('status <campaignId>')
  .description("a campaign's status: in-flight trials and their stages, best, budget used and left, counts by label")
  .option('--json', 'print the status as JSON')
  .action(async (id: string, o: { json?: boolean }) => {
    const { campaignStatus } = await import('./status.js');
    const { status, waits } = await campaignStatus(id);
    console.log(o.json ? JSON.stringify({ ...status, waits: Object.fromEntries(waits) }, null, 2) : formatStatus(status, Date.now(), waits));
  });

program
  .command('budget <campaignId>')
  .description("change a running campaign's budget (the setBudget update); a limit below what is spent is refused")
  .option('--trials <n>', 'trials after the baseline', int)
  .option('--gpu-hours <h>', 'train + evaluate hours', amount)
  .option('--dollars <d>', 'proposer dollars', amount)
  .option('--deadline <iso>', 'ISO time after which no trial starts')
  .action(async (id: string, o: { trials?: number; gpuHours?: number; dollars?: number; deadline?: string }) => {
    const change: BudgetChange = defined({ trials: o.trials, gpuHours: o.gpuHours, dollars: o.dollars, deadline: o.deadline });
    if (!Object.keys(change).length) throw new Error('lineage budget: give at least one of --trials, --gpu-hours, --dollars, --deadline');
    const client = await temporalClient();
    const budget: Budget = await client.workflow
      .getHandle(id)
      .executeUpdate<Budget, [BudgetChange]>('setBudget', { args: [change] })
      .catch(refused);
    console.log(`budget of ${id}: ${JSON.stringify(budget)}`);
  });

program
  .command('parallelism <campaignId> <n>')
  .description('change how many trials a running campaign keeps in flight (the setParallelism update), 1-64')
  .action(async (id: string, n: string) => {
    const client = await temporalClient();
    const accepted: number = await client.workflow
      .getHandle(id)
      .executeUpdate<number, [number]>('setParallelism', { args: [Number(n)] })
      .catch(refused);
    console.log(`parallelism of ${id}: ${accepted}`);
  });

program
  .command('replay [workflowId]')
  .description("replay a workflow's recorded history (every run of a campaign, or a trial) against the current workflow code; exit 1 on nondeterminism")
  .option('--save <dir>', "also write each fetched run's history as JSON into this folder (e.g. test/fixtures/histories)")
  .option('--file <path...>', 'replay saved history files instead of fetching one from Temporal')
  .action(async (id: string | undefined, o: { save?: string; file?: string[] }) => {
    const { fetchRuns, replayRuns, runFromJson, runToJson } = await import('../replay.js');
    const { mkdirSync, readFileSync, writeFileSync } = await import('node:fs');
    if (!id === !o.file) throw new Error('lineage replay: give a workflow id or --file, not both');
    const runs = id ? await fetchRuns(await temporalClient(), id) : o.file!.map((f) => runFromJson(readFileSync(f, 'utf8')));
    if (o.save && id) {
      mkdirSync(o.save, { recursive: true });
      runs.forEach((run, i) => writeFileSync(path.join(o.save!, `${id}${runs.length > 1 ? `.run${i + 1}` : ''}.json`), runToJson(run)));
    }
    let failed = 0;
    for (const r of await replayRuns(runs)) {
      if (r.error) failed++;
      console.log(r.error ? `FAIL ${r.workflowId} run ${r.runId}: ${r.error}` : `ok   ${r.workflowId} run ${r.runId}`);
    }
    if (failed) {
      console.error(`${failed} of ${runs.length} run(s) do not replay against the current workflow code`);
      process.exit(1);
    }
    console.log(`${runs.length} run(s) replay against the current workflow code`);
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
  .option('--direction <dir>', "minimize or maximize (default: the task's, when tasks/<name> exists)")
  .option('--tree <treeTsv>', "the same run's tree.tsv: check its parents and statuses against results.tsv")
  .option('--strict', 'refuse the file at its first row that needs repair or skipping')
  .action(async (file: string, o) => {
    const { runImport } = await import('./import.js');
    await runImport(file, { campaignId: o.campaign, task: o.task, metric: o.metric, direction: o.direction, strict: o.strict, tree: o.tree });
  });

program
  .command('compare <campaignIds...>')
  .description('compare campaigns, live or imported: best so far by trial and by GPU hours, gain, keeps, label mix, cost per keep (text table + HTML page)')
  .option('--out <path>', 'HTML file to write (default: lineage-compare-<A>-vs-<B>.html)')
  .action(async (ids: string[], o) => {
    const { runCompare } = await import('./compare.js');
    await runCompare(ids, o.out ?? `lineage-compare-${ids.join('-vs-')}.html`);
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
