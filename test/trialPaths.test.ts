// The trial workflow's own paths, in seconds: the real workflow code on the SDK's test server
// (the provisioned Temporal CLI) with stand-in activities that a test scripts per trial — repeats,
// a confirm that must hold, an evaluate whose slot lost the outputs, a stage that fails and is
// retried. (An outage past the limit ends infra_error only after a stage's own timeout plus the
// limit, minutes of real time; infraRerun covers an infra_error end to end.) The real stages are
// tested on real recipes elsewhere.
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startStandInEnv, type StandInEnv } from './support/standInEnv.js';
import { CONTROL_QUEUE, trialId } from '../src/ids.js';
import type { EvaluateResult, StageLimits, TrainResult, TrialInput, TrialOutcome, TrialRecord, Verdict } from '../src/types.js';
import type { SlotRequest } from '../src/stages/trainAndEvaluate.js';
import { standInControl, standInSlot } from './support/standInActivities.js';

/** What the stand-ins do for one trial, and what they saw. */
interface Script {
  /** Seeds trained, in order. */
  trained: number[];
  /** Runs the judge was given, per call. */
  judged: number[];
  applyAttempts: number;
  /** The first this many apply attempts fail like an unreachable store. */
  applyFailures: number;
  /** The first this many evaluations find the slot's outputs gone. */
  lostOutputs: number;
  /** Verdict for the judge's nth call (last one repeats). */
  verdicts: Partial<Verdict>[];
  record?: TrialRecord;
}
const scripts = new Map<string, Script>();
const script = (id: string) => scripts.get(id)!;

const control = {
  ...standInControl,
  async apply(input: TrialInput) {
    const s = script(trialId(input.campaignId, input.index));
    if (++s.applyAttempts <= s.applyFailures) throw new Error('connection refused (a stand-in outage)');
    return standInControl.apply(input, { specialist: input.specialist, hypothesis: 'h', edits: [] });
  },
  async judge(input: TrialInput, runs: unknown[]): Promise<Verdict> {
    const s = script(trialId(input.campaignId, input.index));
    s.judged.push(runs.length);
    const v = s.verdicts[Math.min(s.judged.length, s.verdicts.length) - 1] ?? {};
    return { label: 'discard', score: 1, keep: false, reason: '', rule: 'stand-in', bestBefore: null, repeats: runs.length, spread: null, ...v };
  },
  async record(record: TrialRecord) {
    script(record.trialId).record = record;
  },
};
const slot = {
  async train(req: SlotRequest): Promise<TrainResult> {
    script(req.trialId).trained.push(req.seed);
    return standInSlot.train(req) as Promise<TrainResult>;
  },
  async evaluate(req: SlotRequest): Promise<EvaluateResult> {
    const s = script(req.trialId);
    if (s.lostOutputs > 0) {
      s.lostOutputs--;
      throw ApplicationFailure.nonRetryable(`train outputs of ${req.trialId} are gone from the slot`, 'SlotOutputsLost');
    }
    return standInSlot.evaluate(req);
  },
};

describe('trial paths (stand-in activities)', function () {
  let env: TestWorkflowEnvironment;
  let standIn: StandInEnv;
  before(async () => {
    standIn = await startStandInEnv(control, slot);
    env = standIn.env;
  });
  after(async () => standIn?.stop());

  async function runTrial(
    name: string,
    o: { limits?: Partial<StageLimits>; outageLimitS?: number } & Partial<Omit<Script, 'trained' | 'judged' | 'applyAttempts'>>,
  ) {
    const input: TrialInput = {
      campaignId: name,
      task: 'stand-in',
      preset: 'cpu',
      index: 1,
      specialist: 'opt',
      parentSha: 'b'.repeat(40),
      evaluatorHash: 'e',
      limits: { trainS: 5, evalS: 5, repeats: 1, ...o.limits },
      proposer: { kind: 'offline' },
      seed: 7,
      startedAt: new Date().toISOString(),
      outageLimitS: o.outageLimitS ?? 60,
      rebase: false,
    };
    const id = trialId(name, 1);
    scripts.set(id, {
      trained: [],
      judged: [],
      applyAttempts: 0,
      applyFailures: o.applyFailures ?? 0,
      lostOutputs: o.lostOutputs ?? 0,
      verdicts: o.verdicts ?? [],
    });
    const outcome: TrialOutcome = await env.client.workflow.execute('trial', { workflowId: id, taskQueue: CONTROL_QUEUE, args: [input] });
    return { outcome, ...script(id) };
  }

  it('trains and evaluates each repeat on the trial seed, and judges them together', async () => {
    const r = await runTrial('repeats', { limits: { repeats: 3 } });
    assert.deepEqual(r.trained, [7, 7, 7]);
    assert.deepEqual(r.judged, [3]);
    assert.equal(r.record!.stages.filter((s) => s.stage === 'train').length, 3);
  });

  it('confirms a would-be keep on fresh seeds and judges again over all runs; a discard is not confirmed', async () => {
    const kept = await runTrial('confirm', {
      limits: { confirm: 2 },
      verdicts: [
        { label: 'keep', keep: true },
        { label: 'discard', keep: false, reason: 'did not hold' },
      ],
    });
    assert.deepEqual(kept.trained, [7, 8, 9]);
    assert.deepEqual(kept.judged, [1, 3]);
    assert.deepEqual([kept.outcome.label, kept.record!.reason], ['discard', 'did not hold']);
    const discarded = await runTrial('no-confirm', { limits: { confirm: 2 } });
    assert.deepEqual([discarded.trained, discarded.judged], [[7], [1]]);
  });

  it('trains again when the slot that trained lost the outputs before its evaluation', async () => {
    const r = await runTrial('lost-slot', { lostOutputs: 1 });
    assert.deepEqual(r.trained, [7, 7]);
    assert.equal(r.outcome.label, 'discard');
    assert.deepEqual(
      r.record!.stages.map((s) => s.stage).filter((s) => s === 'train' || s === 'evaluate'),
      ['train', 'train', 'evaluate'],
    );
  });

  it('retries a stage through a short outage and records it once, with its real outcome', async () => {
    const r = await runTrial('retried', { applyFailures: 2 });
    assert.equal(r.applyAttempts, 3);
    assert.equal(r.outcome.label, 'discard');
    assert.equal(r.record!.stages.filter((s) => s.stage === 'apply').length, 1);
  });
});
