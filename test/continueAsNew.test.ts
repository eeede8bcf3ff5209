// A campaign that continues as new twice on the real services: its carried state adds up, its
// recorded histories replay against the current workflow code (through `lineage replay` too),
// and a history the code no longer matches is reported as nondeterministic.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startHarness, startCampaign, uniqueId, TOY_TASK, type Harness } from './support/harness.js';
import { lineage } from './support/cli.js';
import { completionOrder, trialsSinceKeep } from './support/history.js';
import { fetchRuns, replayRuns, runToJson } from '../src/replay.js';
import { trialId } from '../src/ids.js';
import type { CampaignResult, Label } from '../src/types.js';

describe('continue-as-new on real services', function () {
  let h: Harness;
  const campaignId = uniqueId('runs');
  let result: CampaignResult;

  before(async function () {
    h = await startHarness({ slots: 2 });
    const handle = await startCampaign(h.client, {
      campaignId,
      task: TOY_TASK,
      budget: { trials: 6 },
      parallelism: 2,
      proposer: { kind: 'offline' },
      trialsPerRun: 2,
      specialistChoice: 'bandit',
    });
    result = await handle.result();
  });
  after(async () => h?.stop());

  it('spans three runs and its final status matches every trial recorded', async () => {
    assert.equal(result.note, 'trial budget of 6 spent');
    assert.equal(result.status.run, 3);
    assert.equal(result.status.started, 7);
    assert.equal(result.status.finished, 7);
    assert.deepEqual(result.trials.map((t) => t.index).sort(), [5, 6], 'the final run reports its own trials');

    const docs = await h.deps.store.trials.find({ campaignId }).sort({ index: 1 }).toArray();
    assert.deepEqual(
      docs.map((d) => d.index),
      [0, 1, 2, 3, 4, 5, 6],
      'trial indices without gaps or repeats',
    );
    const found: string[] = [];
    for await (const wf of h.client.workflow.list({ query: `LineageCampaign = '${campaignId}'` })) found.push(wf.workflowId);
    assert.deepEqual(
      found.sort(),
      docs.map((d) => trialId(campaignId, d.index)),
      'one trial workflow per index',
    );

    const counts: Partial<Record<Label, number>> = {};
    for (const d of docs) counts[d.label] = (counts[d.label] ?? 0) + 1;
    assert.deepEqual(result.status.counts, counts);
    const kept = docs.filter((d) => d.keep && d.score !== null).sort((a, b) => a.score! - b.score!);
    assert.deepEqual(result.status.best, { index: kept[0]!.index, score: kept[0]!.score, sha: kept[0]!.sha });
    assert.equal(result.status.baseline, docs[0]!.score);
    const slotSeconds = docs
      .flatMap((d) => d.stages)
      .filter((s) => s.stage === 'train' || s.stage === 'evaluate')
      .reduce((a, s) => a + s.seconds, 0);
    assert.ok(
      Math.abs(result.status.used.gpuHours * 3600 - slotSeconds) < 1e-6,
      `GPU seconds ${result.status.used.gpuHours * 3600} vs recorded ${slotSeconds}`,
    );
    assert.equal(result.status.used.trials, 6);
    // Two trials in flight finish in either order: count in the order the campaign settled them.
    const order = completionOrder(await fetchRuns(h.client, campaignId));
    assert.deepEqual([...order].sort(), found.sort());
    const keptIds = new Set(docs.filter((d) => d.keep).map((d) => d._id));
    assert.equal(
      result.status.trialsSinceKeep,
      trialsSinceKeep(order, (id) => keptIds.has(id)),
    );
  });

  it('replays every run of the campaign and a trial against the current workflow code', async () => {
    const runs = await fetchRuns(h.client, campaignId);
    assert.equal(runs.length, 3);
    const trial = await fetchRuns(h.client, trialId(campaignId, 1));
    const replayed = await replayRuns([...runs, ...trial]);
    assert.deepEqual(
      replayed.map((r) => [r.runId, r.error ?? 'ok']),
      [...runs, ...trial].map((r) => [r.runId, 'ok']),
    );
    // LINEAGE_SAVE_HISTORIES=test/fixtures/histories refreshes the committed replay fixtures.
    const save = process.env.LINEAGE_SAVE_HISTORIES;
    if (save) {
      mkdirSync(save, { recursive: true });
      writeFileSync(path.join(save, 'campaign-run1.json'), runToJson(runs[0]!));
      writeFileSync(path.join(save, 'campaign-run3.json'), runToJson(runs[2]!));
      writeFileSync(path.join(save, 'trial.json'), runToJson(trial[0]!));
    }
  });

  it('`lineage replay` prints ok for a campaign and a trial, and fails on a nondeterministic history', async () => {
    const ok = await lineage('replay', campaignId);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout.match(/^ok {3}/gm)?.length, 3);
    assert.match(ok.stdout, /^3 run\(s\) replay against the current workflow code$/m);
    const okTrial = await lineage('replay', trialId(campaignId, 2));
    assert.equal(okTrial.code, 0, okTrial.stderr);
    assert.match(okTrial.stdout, new RegExp(`^ok {3}${trialId(campaignId, 2)} run `, 'm'));

    // The same trial history, as if the code had once called another activity first.
    const [run] = await fetchRuns(h.client, trialId(campaignId, 2));
    const scheduled = run!.history.events!.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'propose')!;
    scheduled.activityTaskScheduledEventAttributes!.activityType!.name = 'brainstorm';
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'replay-')), 'changed.json');
    writeFileSync(file, runToJson(run!));
    const bad = await lineage('replay', '--file', file);
    assert.equal(bad.code, 1);
    assert.match(
      bad.stdout,
      /^FAIL .*Nondeterminism error: Activity type of scheduled event 'brainstorm' does not match activity type of activity command 'propose'/m,
    );
    assert.match(bad.stderr, /1 of 1 run\(s\) do not replay against the current workflow code/);
  });
});
