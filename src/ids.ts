// Names shared by workflows, activities and the CLI. Pure: safe inside workflow code.
export const CONTROL_QUEUE = 'lineage-control';
export const GPU_QUEUE = 'lineage-gpu';

export function trialId(campaignId: string, index: number): string {
  return `${campaignId}-trial-${String(index).padStart(4, '0')}`;
}

/** The baseline is trial 0 (the unedited recipe, trained like any trial; its specialist field says `baseline`), not a roster member. */
export const isBaseline = (t: { index: number }): boolean => t.index === 0;
