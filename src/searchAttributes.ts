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

/** name=TYPE pairs in the form `temporal server start-dev --search-attribute` takes. */
export const SEARCH_ATTRIBUTE_FLAGS = Object.values(SA).map((k) => `${k.name}=${k.type === SearchAttributeType.DOUBLE ? 'Double' : k.type === SearchAttributeType.INT ? 'Int' : 'Keyword'}`);
