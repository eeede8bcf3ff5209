// Reading a campaign's recorded runs: the order its trials finished in, as the campaign saw it.
import type { RecordedRun } from '../../src/replay.js';

/** Trial workflow ids in the order the campaign's runs recorded their completion. */
export function completionOrder(runs: RecordedRun[]): string[] {
  return runs.flatMap((r) =>
    r.history.events!.flatMap((e) => {
      const done = e.childWorkflowExecutionCompletedEventAttributes ?? e.childWorkflowExecutionFailedEventAttributes;
      return done?.workflowExecution?.workflowId ? [done.workflowExecution.workflowId] : [];
    }),
  );
}

/** Finished trials since the last keep (or the baseline, trial 0), in completion order. */
export function trialsSinceKeep(order: string[], kept: (workflowId: string) => boolean): number {
  let since = 0;
  for (const id of order) since = kept(id) || id.endsWith('-trial-0000') ? 0 : since + 1;
  return since;
}
