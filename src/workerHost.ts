// Builds the two kinds of worker: the control worker (workflows + control activities) and
// one pair of workers per slot (train from the shared GPU queue, evaluate from the slot's queue).
import { fileURLToPath } from 'node:url';
import { DefaultLogger, NativeConnection, Runtime as TemporalRuntime, Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createControlActivities, createEvaluateActivities, createTrainActivities } from '../activities/index.js';
import type { StageDeps } from './stageDeps.js';
import type { Slot } from './runner/slot.js';
import { SlotPool } from './runner/slotPool.js';
import { CONTROL_QUEUE, GPU_QUEUE } from './ids.js';
import { temporalAddress, temporalNamespace } from './config.js';
import { requireSandbox, sandboxLine } from './runner/sandbox.js';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.js', import.meta.url));

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** Bundling takes seconds: do it once per process. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
  return bundle;
}

const quietLogger = { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error };

let runtimeInstalled = false;
/** Worker logs at WARN: trial rows, not worker state changes, are what a user reads. */
export function installRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const level = (process.env.LINEAGE_LOG_LEVEL as 'WARN' | undefined) ?? 'WARN';
  // Slot workers serve activities only; the SDK's note that they poll no workflows is expected.
  const logger = new DefaultLogger(level, (entry) => {
    if (entry.message.startsWith('No workflows registered')) return;
    const m = (entry.meta ?? {}) as { activityType?: string; workflowId?: string; error?: unknown };
    const where = m.workflowId ? ` ${m.activityType ?? 'workflow'} of ${m.workflowId}` : '';
    const why = m.error instanceof Error ? `: ${m.error.message}` : m.error ? `: ${String(m.error)}` : '';
    console.error(`[${entry.level}] ${entry.message}${where}${why}`);
  });
  TemporalRuntime.install({ logger });
}

export async function connectWorker(address = temporalAddress()): Promise<NativeConnection> {
  installRuntime();
  return NativeConnection.connect({ address });
}

/**
 * Fail closed: a worker that runs trial code (preflight's size projection, train, evaluate)
 * does not start when its sandbox does not work, unless LINEAGE_SANDBOX=off asked for that.
 * Returns the one line a worker prints on start.
 */
export function sandboxOrRefuse(): string {
  return sandboxLine(requireSandbox());
}

export async function createControlWorker(deps: StageDeps, connection: NativeConnection, taskQueue = CONTROL_QUEUE): Promise<Worker> {
  requireSandbox();
  return Worker.create({
    connection,
    namespace: temporalNamespace(),
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: createControlActivities(deps),
    // Proposals mostly wait on the model: 16 slots with a proposal ready behind each need this many at once.
    maxConcurrentActivityTaskExecutions: 64,
  });
}

/** One worker on the shared GPU queue taking as many trains as there are slots, plus one per slot queue. */
export async function createSlotWorkers(deps: StageDeps, connection: NativeConnection, slots: Slot[], sharedQueue = GPU_QUEUE): Promise<Worker[]> {
  if (slots.length === 0) return [];
  requireSandbox();
  const pool = new SlotPool(slots);
  const common = { connection, namespace: temporalNamespace() };
  const workers = [
    await Worker.create({
      ...common,
      taskQueue: sharedQueue,
      activities: createTrainActivities(deps, pool),
      maxConcurrentActivityTaskExecutions: slots.length,
    }),
  ];
  for (const slot of slots) {
    workers.push(
      await Worker.create({
        ...common,
        taskQueue: slot.queue,
        activities: createEvaluateActivities(deps, pool, slot.id),
        maxConcurrentActivityTaskExecutions: 1,
      }),
    );
  }
  return workers;
}
