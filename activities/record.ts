import { Context } from '@temporalio/activity';
import type { Runtime } from '../src/runtime.js';
import type { TrialRecord } from '../src/types.js';
import { recordTrial } from '../src/stages/record.js';
import { tellWaitingTrials } from '../src/bestMoved.js';

export const recordActivities = (rt: Runtime) => ({
  async record(record: TrialRecord) {
    const moved = await recordTrial(rt, record);
    if (moved) await tellWaitingTrials(Context.current().client, record.campaignId, record.trialId, moved);
  },
});
