// Replays a workflow's recorded histories (every run of a campaign that continued as new)
// against the current workflow code: a nondeterministic change to workflows/ shows up here.
import type { Client } from '@temporalio/client';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import type { temporal } from '@temporalio/proto';
import { workflowBundle } from './workerHost.js';

type History = temporal.api.history.v1.IHistory;

export interface RecordedRun {
  workflowId: string;
  runId: string;
  history: History;
}

export interface ReplayOutcome {
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
  const outcomes: ReplayOutcome[] = [];
  const results = Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, runs.map((r) => ({ workflowId: r.workflowId, history: r.history })));
  let i = 0;
  // Results come back in the order the histories went in.
  for await (const r of results) {
    const run = runs[i++]!;
    outcomes.push({ workflowId: run.workflowId, runId: run.runId, ...(r.error ? { error: r.error.message } : {}) });
  }
  return outcomes;
}

/** A recorded run as JSON (the Temporal CLI's `workflow show --output json` form), for fixtures. */
export function runToJson(run: RecordedRun): string {
  return JSON.stringify({ workflowId: run.workflowId, runId: run.runId, history: JSON.parse(historyToJSON(run.history as never)) }, null, 1);
}

export function runFromJson(text: string): RecordedRun {
  const o = JSON.parse(text) as { workflowId: string; runId: string; history: unknown };
  return { workflowId: o.workflowId, runId: o.runId, history: historyFromJSON(o.history) };
}
