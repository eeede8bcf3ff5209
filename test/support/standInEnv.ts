// The SDK's test environment on the provisioned Temporal CLI, with a control and a slot worker
// serving stand-in activities: the real workflow code in seconds, no recipe.
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { installRuntime, workflowBundle } from '../../src/workerHost.js';
import { repoRoot } from '../../src/task/spec.js';
import { CONTROL_QUEUE, GPU_QUEUE } from '../../src/ids.js';
import { SA } from '../../src/searchAttributes.js';

export interface StandInEnv {
  env: TestWorkflowEnvironment;
  stop(): Promise<void>;
}

export async function startStandInEnv(control: object, slot: object, concurrency = 32): Promise<StandInEnv> {
  installRuntime();
  const env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: path.join(repoRoot(), '.lineage/bin/temporal') }, searchAttributes: Object.values(SA) },
  });
  const common = { connection: env.nativeConnection, namespace: env.namespace ?? 'default' };
  const workers = [
    await Worker.create({
      ...common,
      taskQueue: CONTROL_QUEUE,
      workflowBundle: await workflowBundle(),
      activities: control,
      maxConcurrentActivityTaskExecutions: concurrency,
    }),
    await Worker.create({ ...common, taskQueue: GPU_QUEUE, activities: slot, maxConcurrentActivityTaskExecutions: concurrency }),
  ];
  const running = Promise.all(workers.map((w) => w.run()));
  return {
    env,
    async stop() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await running;
      await env.teardown();
    },
  };
}
