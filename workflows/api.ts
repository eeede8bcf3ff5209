// The campaign's signals, updates and query, by the names the Temporal CLI uses
// (`temporal workflow signal --name pause`, `update execute --name setBudget`, `query --type status`).
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { BestRef, Budget, BudgetChange, CampaignStatus, TrialStage } from '../src/types.js';

export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
export const stopSignal = defineSignal('stop');
/** Sent by each trial to its campaign when it enters a stage. */
export const trialStageSignal = defineSignal<[TrialStage]>('trialStage');
/** Any subset of trials, gpuHours, dollars, deadline; refused when a limit is below what is spent. Returns the new budget. */
export const setBudgetUpdate = defineUpdate<Budget, [BudgetChange]>('setBudget');
/** Trials in flight, 1 to 64. Returns the accepted value. */
export const setParallelismUpdate = defineUpdate<number, [number]>('setParallelism');
export const statusQuery = defineQuery<CampaignStatus>('status');
/** Sent to a campaign's running trials by the trial that became its best (src/bestMoved.ts). */
export const bestMovedSignal = defineSignal<[BestRef]>('bestMoved');
