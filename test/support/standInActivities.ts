// Stand-in activities that answer at once, for campaigns of hundreds of trials in seconds: the
// real workflow code and a real dev server, no recipe. Every fifth trial is kept, each better.
import type { ControlActivities, SlotActivities } from '../../activities/index.js';
import type { SlotRequest } from '../../src/stages/trainAndEvaluate.js';
import { GPU_QUEUE } from '../../src/ids.js';
import type { EvaluateResult, TrainResult, TrialInput, Verdict } from '../../src/types.js';

export const DOLLARS_PER_PROPOSAL = 0.25;
const run = { exitCode: 0, signal: null, timedOut: false, overBudget: false, memoryExceeded: false, wallS: 0.01, logTail: '' };
/** Every fifth trial is kept, each better than the last. */
export const keeps = (index: number) => index % 5 === 0;

export const standInControl: Pick<ControlActivities, 'setupCampaign' | 'propose' | 'apply' | 'preflight' | 'judge' | 'record'> = {
  async setupCampaign() {
    return {
      baselineSha: 'b'.repeat(40),
      evaluatorHash: 'e',
      specialists: ['opt', 'arch'],
      direction: 'minimize',
      limits: { trainS: 5, evalS: 5, repeats: 1 },
    };
  },
  async propose(input: TrialInput) {
    return {
      ok: true,
      proposal: { specialist: input.specialist, hypothesis: `idea ${input.index}`, edits: [] },
      usage: { inputTokens: 1, outputTokens: 1, dollars: DOLLARS_PER_PROPOSAL },
    };
  },
  async apply(input: TrialInput) {
    return { ok: true, sha: input.index.toString(16).padStart(40, '0'), diff: '', changedFiles: [] };
  },
  async preflight() {
    return { ok: true };
  },
  async judge(input: TrialInput): Promise<Verdict> {
    const keep = input.index === 0 || keeps(input.index);
    return {
      label: keep ? 'keep' : 'discard',
      score: keep ? 100 - input.index : 1000,
      keep,
      reason: '',
      rule: 'stand-in',
      bestBefore: null,
      repeats: 1,
      spread: null,
    };
  },
  async record() {},
};
/** Training of this trial waits for the promise: a test holds it in flight. */
let trainingGate: { trialId: string; open: Promise<void> } | null = null;

/** Holds the training of one trial until the returned function is called. */
export function holdTraining(trialId: string): () => void {
  let release!: () => void;
  trainingGate = { trialId, open: new Promise((r) => (release = r)) };
  return release;
}
export const standInSlot: Pick<SlotActivities, 'train' | 'evaluate'> = {
  async train(req: SlotRequest): Promise<TrainResult> {
    if (trainingGate?.trialId === req.trialId) await trainingGate.open;
    return { ...run, slotQueue: GPU_QUEUE, host: 'stand-in', slot: '0', attempt: 1 };
  },
  async evaluate(): Promise<EvaluateResult> {
    return { ...run, report: { metric: 1, metrics: {}, label: null, reason: '' } };
  },
};
