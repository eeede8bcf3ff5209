// Tests run against the real services that scripts/test.mjs started (TEMPORAL_ADDRESS, MONGODB_URI).
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { StageDeps } from '../../src/stageDeps.js';
import { cpuSlots } from '../../src/runner/slot.js';
import { connectWorker, createControlWorker, createSlotWorkers } from '../../src/workerHost.js';
import { repoRoot } from '../../src/task/spec.js';
import { CONTROL_QUEUE } from '../../src/ids.js';
import type { CampaignInput, Edit } from '../../src/types.js';

export const TOY_TASK = path.join(repoRoot(), 'test/fixtures/tasks/toy');

export interface Harness {
  deps: StageDeps;
  client: Client;
  connection: NativeConnection;
  workers: Worker[];
  stop(): Promise<void>;
}

export async function startHarness(o: { slots: number } = { slots: 1 }): Promise<Harness> {
  const deps = await StageDeps.connect();
  const connection = await connectWorker();
  const workers = [await createControlWorker(deps, connection), ...(o.slots ? await createSlotWorkers(deps, connection, cpuSlots(o.slots, 1)) : [])];
  const running = Promise.all(workers.map((w) => w.run()));
  const clientConnection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS });
  const client = new Client({ connection: clientConnection });
  return {
    deps,
    client,
    connection,
    workers,
    async stop() {
      // Leave nothing running for the next test's workers to pick up.
      for await (const wf of client.workflow.list({ query: 'ExecutionStatus = "Running"' })) {
        await client.workflow
          .getHandle(wf.workflowId, wf.runId)
          .terminate('test cleanup')
          .catch(() => undefined);
      }
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await running;
      await connection.close();
      await clientConnection.close();
      await deps.close();
    },
  };
}

export function uniqueId(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
}

/** One-knob edit of the toy recipe's train.py, as a replayed proposal. */
export function knob(specialist: string, line: string, replacement: string, hypothesis = `${line} -> ${replacement}`) {
  const edits: Edit[] = [{ file: 'train.py', search: line, replace: replacement }];
  return { specialist, hypothesis, edits };
}

export async function startCampaign(client: Client, input: CampaignInput) {
  return client.workflow.start('campaign', { workflowId: input.campaignId, taskQueue: CONTROL_QUEUE, args: [input] });
}

export async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
