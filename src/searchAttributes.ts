// Custom search attributes, so trials can be found in the Temporal UI and with
// `temporal workflow list --query "LineageLabel = 'size_blocked'"`. Pure: used in workflows.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const SA = {
  campaign: defineSearchAttributeKey('LineageCampaign', SearchAttributeType.KEYWORD),
  task: defineSearchAttributeKey('LineageTask', SearchAttributeType.KEYWORD),
  specialist: defineSearchAttributeKey('LineageSpecialist', SearchAttributeType.KEYWORD),
  label: defineSearchAttributeKey('LineageLabel', SearchAttributeType.KEYWORD),
  score: defineSearchAttributeKey('LineageScore', SearchAttributeType.DOUBLE),
  trialIndex: defineSearchAttributeKey('LineageTrialIndex', SearchAttributeType.INT),
};
