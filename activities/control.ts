// The control queue's activities: thin adapters over the stages in src/, given their dependencies
// (as in temporalio/samples-typescript's activities-dependency-injection). Each heartbeats while it
// runs and fails at once on an error no retry can fix (./heartbeat.ts, ./failures.ts).
import { Context } from '@temporalio/activity';
import type { StageDeps } from '../src/stageDeps.js';
import type { CampaignInput, EvaluateResult, Proposal, TrainResult, TrialInput, TrialRecord } from '../src/types.js';
import { setupCampaign } from '../src/stages/setup.js';
import { propose } from '../src/proposers/propose.js';
import { applyProposal } from '../src/stages/apply.js';
import { adoptRebase, rebaseTrial } from '../src/stages/rebase.js';
import { preflight } from '../src/stages/preflight.js';
import { judgeTrial } from '../src/stages/judgeTrial.js';
import { recordTrial } from '../src/stages/record.js';
import { tellWaitingTrials } from '../src/bestMoved.js';
import { withHeartbeats } from './heartbeat.js';

export const createControlActivities = (deps: StageDeps) =>
  withHeartbeats({
    async setupCampaign(input: CampaignInput, startedAt: string) {
      return setupCampaign(deps, input, startedAt);
    },
    async propose(input: TrialInput) {
      const parentFiles = await deps.repository(input.campaignId).snapshot(input.parentSha);
      return propose(input, { store: deps.store, task: deps.task(input.task, input.preset), parentFiles });
    },
    async apply(input: TrialInput, proposal: Proposal) {
      return applyProposal(deps, input, proposal);
    },
    async rebase(input: TrialInput, step: { sha: string; from: string; onto: string; proposal: Proposal }) {
      return rebaseTrial(deps, input, step);
    },
    async adoptRebase(input: TrialInput, sha: string) {
      return adoptRebase(deps, input, sha);
    },
    async preflight(input: TrialInput, sha: string, changedFiles: string[]) {
      return preflight(deps, input, sha, changedFiles);
    },
    async judge(input: TrialInput, runs: { train: TrainResult; evaluate: EvaluateResult }[]) {
      return judgeTrial(deps, input, runs);
    },
    /** The trial document; a trial that became the best tells the trials still waiting for a slot. */
    async record(record: TrialRecord) {
      const moved = await recordTrial(deps, record);
      if (moved) await tellWaitingTrials(Context.current().client, record.campaignId, record.trialId, moved);
    },
  });

export type ControlActivities = ReturnType<typeof createControlActivities>;
