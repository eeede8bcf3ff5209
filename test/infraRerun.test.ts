// An infra_error is no research outcome: its trial index runs again, and the trial budget buys
// the outcomes it promised. The fault is real: the task's evaluator changes under the campaign
// (its hash no longer matches the pinned one), which fails the trial as infra_error; once the
// evaluator is back, the index runs again and gets a real label.
import assert from 'node:assert/strict';
import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startHarness, startCampaign, knob, uniqueId, until, TOY_TASK, type Harness } from './support/harness.js';
import { trialId } from '../src/ids.js';
import { SA } from '../src/searchAttributes.js';

describe('a trial that ends infra_error', function () {
  let h: Harness;
  let task: string;
  before(async () => {
    h = await startHarness({ slots: 1 });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rerun-'));
    chmodSync(dir, 0o755); // the trial user must reach the task's evaluator (mkdtemp makes it 0700)
    task = path.join(dir, 'toy');
    cpSync(TOY_TASK, task, { recursive: true });
  });
  after(async () => {
    await h?.stop();
    rmSync(path.dirname(task), { recursive: true, force: true });
  });

  /** A one-trial campaign whose evaluator changes (breaking its pinned hash) once the baseline is recorded. */
  async function campaignWithChangedEvaluator(prefix: string) {
    const campaignId = uniqueId(prefix);
    const evaluator = path.join(task, 'evaluator', 'evaluate.py');
    const pinned = readFileSync(evaluator, 'utf8');
    const better = knob('opt', 'X = 3.0  # the parameter being tuned', 'X = 1.5  # the parameter being tuned');
    const handle = await startCampaign(h.client, {
      campaignId,
      task,
      budget: { trials: 1 },
      parallelism: 1,
      proposer: { kind: 'replay', proposals: [better] },
    });
    await until('the baseline to be recorded', async () => (await h.deps.store.trials.findOne({ _id: trialId(campaignId, 0) })) !== null);
    writeFileSync(evaluator, `${pinned}\n# changed after the campaign pinned it\n`);
    return { campaignId, handle, restore: () => writeFileSync(evaluator, pinned) };
  }

  it('runs its index again instead of spending the trial budget on it', async () => {
    // Trial 1 proposes while the evaluator is tampered with: its train refuses to run.
    const { campaignId, handle, restore } = await campaignWithChangedEvaluator('rerun');
    const id = trialId(campaignId, 1);
    await until('trial 1 to end infra_error', async () => (await h.deps.store.trials.findOne({ _id: id }))?.label === 'infra_error', 120_000);
    restore();

    const result = await handle.result();
    const doc = await h.deps.store.trials.findOne({ _id: id });
    assert.equal(doc!.label, 'keep', `the index ran again and got a research outcome: ${doc!.reason}`);
    assert.equal(await h.deps.store.trials.countDocuments({ campaignId }), 2, 'one document per index');
    assert.equal(result.status.counts.infra_error, undefined, 'the infra_error is not counted as an outcome');
    assert.equal(result.status.used.trials, 1, 'the budget of 1 trial bought one outcome');
    assert.ok((result.status.rerunAfterInfraError ?? 0) >= 1);
    assert.equal(result.status.trialsSinceKeep, 0, 'the infra_error did not count towards the plateau');
    let runs = 0;
    for await (const wf of h.client.workflow.list({ query: `${SA.campaign.name} = "${campaignId}" AND WorkflowId = "${id}"` }))
      runs += wf.workflowId === id ? 1 : 0;
    assert.ok(runs >= 2, `trial 1's workflow ran again under the same id (${runs} runs)`);
    const summary = await h.deps.store.lineage.findOne({ _id: campaignId });
    assert.equal(summary!.counts.infra_error, undefined, 'proposers never see the infra_error as an outcome');
    assert.equal(summary!.counts.keep, 2);
  });

  it('stands, and counts, once its index has failed that way every time it ran', async () => {
    const { campaignId, handle, restore } = await campaignWithChangedEvaluator('rerun-stands');
    try {
      const result = await handle.result();
      assert.equal(result.status.counts.infra_error, 1, 'after its reruns the infra_error is the outcome, so the campaign ends');
      assert.equal(result.status.rerunAfterInfraError, 3);
      assert.equal((await h.deps.store.trials.findOne({ _id: trialId(campaignId, 1) }))!.label, 'infra_error');
    } finally {
      restore();
    }
  });
});
