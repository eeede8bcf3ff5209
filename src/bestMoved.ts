// A trial that becomes the campaign's best tells the campaign's other running trials, so one
// that waits for a slot can prepare its rebase before the slot frees (the slot's own check at
// dispatch stays the guarantee). Signals land in the trials' histories, never the campaign's.
import type { Client } from '@temporalio/client';
import { SA } from './searchAttributes.js';
import type { BestRef } from './types.js';
import { bestMovedSignal } from '../workflows/api.js';

/** Best effort: a trial that closed meanwhile, or a visibility store that lags, costs only the head start. */
export async function tellWaitingTrials(client: Client, campaignId: string, fromTrialId: string, best: BestRef): Promise<number> {
  let told = 0;
  try {
    const query = `${SA.campaign.name} = "${campaignId}" AND WorkflowType = "trial" AND ExecutionStatus = "Running"`;
    for await (const wf of client.workflow.list({ query })) {
      if (wf.workflowId === fromTrialId) continue;
      await client.workflow
        .getHandle(wf.workflowId)
        .signal(bestMovedSignal, best)
        .then(
          () => told++,
          () => undefined,
        );
    }
  } catch {
    // visibility unavailable: the dispatch check still catches every stale parent
  }
  return told;
}
