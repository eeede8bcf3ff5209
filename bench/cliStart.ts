// How fast the CLI answers, side by side with Node's own start in one run: `lineage --help`,
// `lineage status` of a running campaign (its query) and of a finished 200-trial campaign (its
// recorded result). The campaigns run the real workflow code with stand-in activities.
import { execa } from 'execa';
import path from 'node:path';
import { NativeConnection, Worker } from '@temporalio/worker';
import { installRuntime, workflowBundle } from '../src/workerHost.js';
import { repoRoot } from '../src/task/spec.js';
import { CONTROL_QUEUE, GPU_QUEUE } from '../src/ids.js';
import { temporalClient } from '../src/cli/client.js';
import type { CampaignInput, CampaignStatus } from '../src/types.js';
import { standInControl, standInSlot } from '../test/support/standInActivities.js';

const RUNS = 9;
const TRIALS = 200;

// Asynchronous: the campaign's worker lives in this process and must answer the status query meanwhile.
async function medianSeconds(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    await execa(argv[0]!, argv.slice(1), { env }); // a failing command throws with its stderr
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return times.sort((a, b) => a - b)[RUNS >> 1]!;
}

export async function benchCliStart(temporalAddress: string, uiUrl: string): Promise<string[]> {
  installRuntime();
  const connection = await NativeConnection.connect({ address: temporalAddress });
  const workers = [
    await Worker.create({
      connection,
      taskQueue: CONTROL_QUEUE,
      workflowBundle: await workflowBundle(),
      activities: standInControl,
      maxConcurrentActivityTaskExecutions: 32,
    }),
    await Worker.create({ connection, taskQueue: GPU_QUEUE, activities: standInSlot, maxConcurrentActivityTaskExecutions: 32 }),
  ];
  const running = Promise.all(workers.map((w) => w.run()));
  const client = await temporalClient(temporalAddress);
  try {
    const start = (campaignId: string, trials: number) =>
      client.workflow.start('campaign', {
        workflowId: campaignId,
        taskQueue: CONTROL_QUEUE,
        args: [{ campaignId, task: 'stand-in', proposer: { kind: 'offline' }, budget: { trials }, parallelism: 8 } satisfies CampaignInput],
      });
    const stamp = Date.now().toString(36);
    const t0 = Date.now();
    const finished = await start(`bench-finished-${stamp}`, TRIALS);
    await finished.result();
    process.stderr.write(`cli bench: a ${TRIALS}-trial stand-in campaign finished in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    const live = await start(`bench-live-${stamp}`, 100_000);
    await live.signal('pause');
    for (;;) {
      const s = await live.query<CampaignStatus>('status');
      if (s.state === 'paused' && s.inFlight.length === 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const sdk = { ...process.env, TEMPORAL_ADDRESS: temporalAddress, TEMPORAL_UI_URL: '' };
    const env = { ...sdk, TEMPORAL_UI_URL: uiUrl }; // status over the Web UI's HTTP API
    const cli = path.join(repoRoot(), 'dist/src/cli/main.js');
    const node = await medianSeconds([process.execPath, '-e', '0'], env);
    const rows: [string, number, number][] = [
      ['node -e 0', node, 0],
      ['lineage --help', await medianSeconds([process.execPath, cli, '--help'], env), 0.4],
      ['lineage status (running campaign)', await medianSeconds([process.execPath, cli, 'status', live.workflowId], env), 0.4],
      ['lineage status (finished, 200 trials)', await medianSeconds([process.execPath, cli, 'status', finished.workflowId], env), 1],
      ['  the same over gRPC (the SDK; no HTTP endpoint known)', await medianSeconds([process.execPath, cli, 'status', finished.workflowId], sdk), 0],
      ['  running campaign over gRPC', await medianSeconds([process.execPath, cli, 'status', live.workflowId], sdk), 0],
    ];
    await live.terminate('bench done');
    const out = [
      `CLI start-up, median of ${RUNS} runs (seconds; "beyond node" = minus node -e 0)`,
      '| command | seconds | beyond node | target beyond node |',
      '|---|---|---|---|',
    ];
    for (const [what, s, target] of rows) out.push(`| ${what} | ${s.toFixed(3)} | ${(s - node).toFixed(3)} | ${target ? `< ${target} s` : ''} |`);
    return out;
  } finally {
    await client.connection.close();
    for (const w of workers) w.shutdown();
    await running;
    await connection.close();
  }
}
