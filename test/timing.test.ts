// Timing metrics: the harness times the train run, repeats it, and judges the median beyond noise.
import assert from 'node:assert/strict';
import path from 'node:path';
import { startHarness, startCampaign, knob, uniqueId, type Harness } from './support/harness.js';
import { repoRoot } from '../src/task/spec.js';
import { trialId } from '../src/ids.js';

describe('noise-aware judging of a timing metric', function () {
  let h: Harness;
  before(async () => (h = await startHarness({ slots: 1 })));
  after(async () => h?.stop());

  it('repeats each run, scores the median wall time and keeps a real speed-up', async () => {
    const campaignId = uniqueId('timed');
    const faster = knob('sys', 'SLEEP_S = 0.6  # stands for training time', 'SLEEP_S = 0.1  # stands for training time');
    const handle = await startCampaign(h.client, {
      campaignId,
      task: path.join(repoRoot(), 'test/fixtures/tasks/toy-timed'),
      budget: { trials: 1 },
      parallelism: 1,
      proposer: { kind: 'replay', proposals: [faster] },
    });
    await handle.result();
    const [base, fast] = await h.deps.store.trials.find({ campaignId }).sort({ index: 1 }).toArray();
    assert.equal(base!._id, trialId(campaignId, 0));
    assert.equal(base!.stages.filter((s) => s.stage === 'train').length, 3);
    assert.ok(base!.score! >= 0.6 && base!.score! < 3, `baseline median ${base!.score} is the harness's wall time`);
    assert.ok(base!.spread !== null && base!.spread >= 0);
    const campaign = await h.deps.store.campaigns.findOne({ _id: campaignId });
    assert.equal(campaign!.baseline!.spread, base!.spread);
    assert.equal(fast!.label, 'keep', fast!.reason);
    assert.match(fast!.rule!, /median of 3 runs, minimize by more than .* 2σ of baseline spread/);
  });
});
