// A whole campaign on the real Temporal and MongoDB-wire servers, with real recipe processes.
import assert from 'node:assert/strict';
import { Worker } from '@temporalio/worker';
import { startHarness, startCampaign, knob, uniqueId, TOY_TASK, type Harness } from './support/harness.js';
import { workflowBundle } from '../src/workerHost.js';
import { trialId } from '../src/ids.js';
import type { CampaignResult, Label } from '../src/types.js';

describe('campaign on real services', function () {
  let h: Harness;
  const campaignId = uniqueId('labels');
  let result: CampaignResult;

  before(async function () {
    process.env.ANTHROPIC_API_KEY = 'sk-ant-test-secret-must-not-leak';
    h = await startHarness({ slots: 1 });
    const proposals = [
      knob('opt', 'X = 3.0  # the parameter being tuned', 'X = 1.5  # the parameter being tuned'),
      knob('opt', 'X = 1.5  # the parameter being tuned', 'X = 2.0  # the parameter being tuned'),
      knob('opt', 'CRASH = False', 'CRASH = True'),
      knob('opt', 'SLEEP_S = 0.1  # stands for training time', 'SLEEP_S = 30  # stands for training time'),
      knob('arch', 'SIZE = 1000  # artifact bytes', 'SIZE = 50000  # artifact bytes'),
      knob('data', 'NAN = False', 'NAN = True'),
      knob('opt', 'NAN = False', 'NAN = True'),
      knob('opt', 'X = 7.0', 'X = 0.0'),
      knob('opt', 'import json, os, sys, time', 'import json, os, sys, time\nprint("ENV", sorted(os.environ.items()), flush=True)'),
      knob('opt', 'HOG_MB = 0', 'HOG_MB = 1500'),
    ];
    const handle = await startCampaign(h.client, {
      campaignId,
      task: TOY_TASK,
      budget: { trials: proposals.length },
      parallelism: 1,
      proposer: { kind: 'replay', proposals },
    });
    result = await handle.result();
  });
  after(async () => {
    delete process.env.ANTHROPIC_API_KEY;
    await h?.stop();
  });

  it('completes normally with every outcome labelled', async () => {
    const labels = result.trials.sort((a, b) => a.index - b.index).map((t) => t.label);
    const expected: Label[] = [
      'keep',
      'keep',
      'discard',
      'crash',
      'train_budget_overrun',
      'size_blocked',
      'illegal_edit',
      'diverged',
      'apply_failed',
      'discard',
      'crash',
    ];
    assert.deepEqual(labels, expected);
    assert.equal(result.status.state, 'finished');
    assert.equal(result.status.inFlight.length, 0);
  });

  it('records one document per trial with the lineage fields', async () => {
    const docs = await h.deps.store.trials.find({ campaignId }).sort({ index: 1 }).toArray();
    assert.equal(docs.length, 11);
    const kept = docs[1]!;
    assert.equal(kept._id, trialId(campaignId, 1));
    assert.equal(kept.parentSha, docs[0]!.sha);
    assert.match(kept.diff ?? '', /^-X = 3\.0/m);
    assert.match(kept.diff ?? '', /^\+X = 1\.5/m);
    assert.equal(kept.score, 0.25);
    assert.deepEqual(
      kept.stages.map((s) => s.stage),
      ['propose', 'apply', 'preflight', 'train', 'evaluate', 'judge'],
    );
    // The next trial edited the kept recipe, not the baseline.
    assert.equal(docs[2]!.parentSha, kept.sha);
    assert.match(docs[3]!.logExcerpt, /boom: the recipe crashed/);
    assert.match(docs[4]!.reason, /budget 4 s/);
    assert.match(docs[5]!.reason, /projected artifact 50000 bytes > cap 5000/);
    assert.match(docs[6]!.reason, /outside data's surface/);
    assert.equal(docs[6]!.sha, null, 'an out-of-surface edit never reaches git');
    assert.match(docs[8]!.reason, /search text not found/);
    assert.match(docs[10]!.reason, /out of memory/);
  });

  it('keeps secrets out of the trial environment', async () => {
    const doc = await h.deps.store.trials.findOne({ _id: trialId(campaignId, 9) });
    assert.match(doc!.logExcerpt, /ENV \[/);
    assert.match(doc!.logExcerpt, /LINEAGE_RUN_DIR/);
    assert.doesNotMatch(doc!.logExcerpt, /sk-ant-test-secret|ANTHROPIC|MONGODB_URI|TEMPORAL_ADDRESS/);
  });

  it('advances the campaign best only on keeps', async () => {
    const campaign = await h.deps.store.campaigns.findOne({ _id: campaignId });
    assert.equal(campaign!.baseline!.score, 4);
    assert.equal(campaign!.best!.score, 0.25);
    assert.equal(campaign!.best!.index, 1);
    assert.equal(result.status.best!.score, 0.25);
  });

  it('replays the recorded campaign and trial histories with the current workflow code', async () => {
    const bundle = await workflowBundle();
    for (const id of [campaignId, trialId(campaignId, 1), trialId(campaignId, 4)]) {
      const history = await h.client.workflow.getHandle(id).fetchHistory();
      await Worker.runReplayHistory({ workflowBundle: bundle }, history, id);
    }
  });

  it('lets the Temporal UI find trials by label', async () => {
    const found: string[] = [];
    for await (const wf of h.client.workflow.list({ query: `LineageCampaign = '${campaignId}' AND LineageLabel = 'size_blocked'` })) found.push(wf.workflowId);
    assert.deepEqual(found, [trialId(campaignId, 5)]);
  });
});
