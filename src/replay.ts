// Replays a workflow's recorded histories (every run of a campaign that continued as new)
// against the current workflow code: a nondeterministic change to workflows/ shows up here.
import type { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import proto from '@temporalio/proto';
import { installRuntime, workflowBundle } from './workerHost.js';

type History = proto.temporal.api.history.v1.IHistory;
const HistoryMessage = proto.temporal.api.history.v1.History;

export interface RecordedRun {
  workflowId: string;
  runId: string;
  history: History;
}

interface ReplayOutcome {
  workflowId: string;
  runId: string;
  /** The nondeterminism (or other replay) error; absent when the run replays cleanly. */
  error?: string;
}

/** Every run of a workflow, oldest first, following the continue-as-new chain back from the latest run. */
export async function fetchRuns(client: Client, workflowId: string): Promise<RecordedRun[]> {
  const runs: RecordedRun[] = [];
  let runId = (await client.workflow.getHandle(workflowId).describe()).runId;
  for (;;) {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    runs.unshift({ workflowId, runId, history });
    const previous = history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId;
    if (!previous) return runs;
    runId = previous;
  }
}

export async function replayRuns(runs: RecordedRun[]): Promise<ReplayOutcome[]> {
  installRuntime(); // worker logs at WARN, like every Lineage worker
  const outcomes: ReplayOutcome[] = [];
  const results = Worker.runReplayHistories(
    { workflowBundle: await workflowBundle() },
    runs.map((r) => ({ workflowId: r.workflowId, history: r.history })),
  );
  let i = 0;
  // Results come back in the order the histories went in.
  for await (const r of results) {
    const run = runs[i++]!;
    outcomes.push({ workflowId: run.workflowId, runId: run.runId, ...(r.error ? { error: r.error.message } : {}) });
  }
  return outcomes;
}

// Fixtures are protobuf's own object form (enums by name, bytes in base64, 64-bit numbers as
// strings). The SDK's historyToJSON is not used: in SDK 1.24 it needs protobufjs 8 types while
// the proto package is built on protobufjs 7, and it throws "type must be a Type".
const OBJECT_FORM = { longs: String, enums: String, bytes: String, defaults: false } as const;

/** A recorded run as JSON, for fixtures and `lineage replay --file`. */
export function runToJson(run: RecordedRun): string {
  const history = HistoryMessage.toObject(HistoryMessage.fromObject(run.history as Record<string, unknown>), OBJECT_FORM);
  return JSON.stringify({ workflowId: run.workflowId, runId: run.runId, history }, null, 1);
}

export function runFromJson(text: string): RecordedRun {
  const o = JSON.parse(text) as { workflowId?: string; runId?: string; history?: { events?: unknown[] } };
  if (!o.workflowId || !o.runId || !Array.isArray(o.history?.events))
    throw new Error('not a recorded run: expected {workflowId, runId, history: {events: [...]}}');
  return { workflowId: o.workflowId, runId: o.runId, history: HistoryMessage.fromObject(o.history) };
}
