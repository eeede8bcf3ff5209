// `lineage status`: a running campaign answers its status query; a closed one is read from what it
// recorded — its result, the last event of its history — so no worker has to replay it.
import type { CampaignResult, CampaignStatus } from '../types.js';
import { temporalClient } from './client.js';

export async function campaignStatus(campaignId: string): Promise<CampaignStatus> {
  const client = await temporalClient();
  try {
    const handle = client.workflow.getHandle(campaignId);
    const d = await handle.describe();
    if (d.status.name === 'RUNNING') return await handle.query<CampaignStatus>('status');
    if (d.status.name !== 'COMPLETED') throw new Error(`campaign ${campaignId} ended ${d.status.name.toLowerCase()}: see its history (lineage replay ${campaignId}, or the Temporal UI)`);
    // A closed run that continued as new is described by its last run; result() follows the chain.
    const result = (await handle.result()) as CampaignResult;
    return result.status;
  } finally {
    await client.connection.close();
  }
}
