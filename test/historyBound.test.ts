// A long campaign keeps a bounded history: its own Temporal dev server (the Temporal CLI binary
// the project provisions, started by @temporalio/testing), the real workflow code, and stand-in
// activities that answer at once, so hundreds of trials cost seconds instead of hours. The
// proposer's stand-in also charges dollars, which a real offline campaign never does.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startStandInEnv, type StandInEnv } from './support/standInEnv.js';
import proto from '@temporalio/proto';
import { CONTROL_QUEUE, trialId } from '../src/ids.js';
import { fetchRuns, replayRuns, runToJson } from '../src/replay.js';
import { liveStatus } from '../src/cli/status.js';
import type { CampaignInput, CampaignResult, CampaignStatus } from '../src/types.js';
import { DOLLARS_PER_PROPOSAL, keeps, standInControl as control, standInSlot as slot, holdTraining } from './support/standInActivities.js';
import { until } from './support/harness.js';
import { completionOrder, trialsSinceKeep } from './support/history.js';

describe('long campaigns', function () {
  let env: TestWorkflowEnvironment;
  let standIn: StandInEnv;
  before(async () => {
    standIn = await startStandInEnv(control, slot);
    env = standIn.env;
  });
  after(async () => standIn?.stop());

  const start = (input: Omit<CampaignInput, 'task' | 'proposer'>) =>
    env.client.workflow.start('campaign', {
      workflowId: input.campaignId,
      taskQueue: CONTROL_QUEUE,
      args: [{ task: 'stand-in', proposer: { kind: 'offline' }, ...input }],
    });

  it('a 10,000-trial campaign continues as new with a bounded history per run and its state carried', async function () {
    const perRun = 20;
    const handle = await start({ campaignId: 'long', budget: { trials: 10_000 }, parallelism: 8, trialsPerRun: perRun, specialistChoice: 'bandit' });
    await until('four runs', async () => (await handle.query<CampaignStatus>('status')).run >= 5, 150_000);
    await handle.terminate('enough runs to see the history stay bounded');

    const runs = await fetchRuns(env.client, 'long');
    assert.ok(runs.length >= 5);
    const finishedRuns = runs.slice(0, 4);
    const lengths = finishedRuns.map((r) => r.history.events!.length);
    // Per trial: start, started and completed of its child and the workflow tasks they wake; no
    // event per stage (a trial keeps its stage in its own memo).
    for (const n of lengths) assert.ok(n <= 12 * perRun, `a run's history has ${n} events for ${perRun} trials (bound: 12 per trial)`);
    assert.ok(Math.max(...lengths.slice(1)) < 1.5 * Math.min(...lengths.slice(1)), `runs do not grow: ${lengths.join(', ')}`);
    for (const r of finishedRuns)
      assert.equal(r.history.events!.at(-1)!.eventType, proto.temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW);

    // The carried state at the start of each run: next index, counts, spent dollars, best.
    const inputs = runs.map((r) => {
      const payload = r.history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
      return JSON.parse(Buffer.from(payload.data as Uint8Array).toString()) as CampaignInput;
    });
    assert.equal(inputs[0]!.carried, undefined);
    for (let k = 1; k < inputs.length; k++) {
      const c = inputs[k]!.carried!;
      const trials = k * perRun; // after the baseline
      assert.equal(c.run, k + 1);
      assert.equal(c.nextIndex, trials + 1, 'no gap and no repeat in trial indices');
      assert.equal(c.finished, trials + 1);
      assert.equal(c.spent.trials, trials);
      assert.ok(Math.abs(c.spent.dollars - trials * DOLLARS_PER_PROPOSAL) < 1e-9);
      const kept = Array.from({ length: trials }, (_, i) => i + 1).filter(keeps);
      assert.deepEqual(c.counts, { keep: kept.length + 1, discard: trials - kept.length });
      assert.deepEqual(c.best, { index: kept.at(-1), score: 100 - kept.at(-1)!, sha: kept.at(-1)!.toString(16).padStart(40, '0') });
      // Trials finish out of index order (8 in flight): count in the order the campaign settled them.
      const keptId = (id: string) => keeps(Number(id.slice(-4)));
      assert.equal(c.trialsSinceKeep, trialsSinceKeep(completionOrder(runs.slice(0, k)), keptId));
      assert.ok(c.bandit.length > 0 && c.bandit.length <= 30);
    }
    const replayed = await replayRuns(finishedRuns);
    assert.deepEqual(
      replayed.map((r) => r.error ?? 'ok'),
      ['ok', 'ok', 'ok', 'ok'],
    );
  });

  it('starts the children for all its free places in one workflow task', async () => {
    const handle = await start({ campaignId: 'batched', budget: { trials: 6 }, parallelism: 6 });
    await handle.result();
    // LINEAGE_SAVE_HISTORIES=test/fixtures/histories saves it as a replay fixture (campaign-parallel.json).
    const save = process.env.LINEAGE_SAVE_HISTORIES;
    if (save) writeFileSync(path.join(save, 'campaign-parallel.json'), runToJson((await fetchRuns(env.client, 'batched'))[0]!));
    const { EventType } = proto.temporal.api.enums.v1;
    // Children initiated by each completed workflow task, in history order (the baseline's first).
    const batches: number[] = [];
    for (const e of (await handle.fetchHistory()).events!) {
      if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) batches.push(0);
      else if (e.eventType === EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED) batches[batches.length - 1]!++;
    }
    // One task for the baseline, one for the six trials after it: one round trip, not six.
    assert.deepEqual(
      batches.filter((n) => n > 0),
      [1, 6],
    );
  });

  it('a pause that arrives while a run drains is carried into the next run', async () => {
    const release = holdTraining(trialId('paused', 2));
    const handle = await start({ campaignId: 'paused', budget: { trials: 1000 }, parallelism: 1, trialsPerRun: 1 });
    const status = async () => (await liveStatus(env.client, 'paused')).status;
    // Run 2 started its one trial and now drains it before continuing as new.
    await until('run 2 draining', async () => {
      const s = await status();
      return s.run === 2 && s.inFlight[0]?.stage === 'train';
    });
    await handle.signal('pause');
    release();
    const paused = await until('run 3, paused', async () => {
      const s = await status();
      return s.run === 3 && s.state === 'paused' ? s : null;
    });
    assert.deepEqual([paused.nextIndex, paused.finished, paused.inFlight.length], [3, 3, 0]);
    await new Promise((r) => setTimeout(r, 1500));
    const still = await status();
    assert.deepEqual([still.run, still.nextIndex, still.state], [3, 3, 'paused'], 'nothing starts while paused');
    await handle.signal('resume');
    await until('trials after resume', async () => (await status()).nextIndex >= 5);
    await handle.terminate('enough');
  });

  it('stops at the dollar cap across runs, with no proposal after it', async () => {
    const handle = await start({ campaignId: 'capped', budget: { trials: 1000, dollars: 7 * DOLLARS_PER_PROPOSAL }, parallelism: 1, trialsPerRun: 3 });
    const result: CampaignResult = await handle.result();
    assert.equal(result.note, `dollar budget of $${7 * DOLLARS_PER_PROPOSAL} spent ($${7 * DOLLARS_PER_PROPOSAL} used)`);
    assert.equal(result.status.used.trials, 7);
    assert.equal(result.status.run, 3);
  });
});
