// GPU time is slot time: a trial that waits for a busy slot has that wait recorded apart
// (queuedS), and its train seconds are the run's own wall time on the slot.
import assert from 'node:assert/strict';
import { startHarness, startCampaign, knob, uniqueId, TOY_TASK, type Harness } from './support/harness.js';

describe('stage seconds on the slot clock', function () {
  let h: Harness;
  before(async () => (h = await startHarness({ slots: 1 })));
  after(async () => h?.stop());

  it('keeps the wait for a slot out of train seconds and GPU-hours', async () => {
    const campaignId = uniqueId('slotclock');
    const slow = (x: string) => ({
      ...knob('opt', 'SLEEP_S = 0.1  # stands for training time', 'SLEEP_S = 2.5  # stands for training time'),
      edits: [
        { file: 'train.py', search: 'SLEEP_S = 0.1  # stands for training time', replace: 'SLEEP_S = 2.5  # stands for training time' },
        { file: 'train.py', search: 'X = 3.0  # the parameter being tuned', replace: `X = ${x}  # the parameter being tuned` },
      ],
    });
    // Two trials in flight, one slot: one of them waits for the other's train and evaluate.
    const handle = await startCampaign(h.client, {
      campaignId,
      task: TOY_TASK,
      budget: { trials: 2 },
      parallelism: 2,
      proposer: { kind: 'replay', proposals: [slow('2.0'), slow('2.5')] },
    });
    const result = await handle.result();
    const trials = await h.deps.store.trials.find({ campaignId, index: { $gt: 0 } }).toArray();
    assert.equal(trials.length, 2);
    for (const t of trials) {
      const train = t.stages.find((s) => s.stage === 'train')!;
      assert.equal(train.seconds, t.train!.wallS, "train seconds are the run's wall time from the slot");
      assert.ok(train.seconds >= 2.5 && train.seconds < 2.5 + 4, `train took ${train.seconds} s for a 2.5 s run`);
      assert.equal(train.attempt, 1);
    }
    const waited = Math.max(...trials.map((t) => t.stages.find((s) => s.stage === 'train')!.queuedS ?? 0));
    assert.ok(waited >= 2, `one trial waited for the busy slot (${waited} s), recorded apart`);
    const slotSeconds = (await h.deps.store.trials.find({ campaignId }).toArray())
      .flatMap((t) => t.stages)
      .filter((s) => s.stage === 'train' || s.stage === 'evaluate')
      .reduce((a, s) => a + s.seconds, 0);
    assert.ok(Math.abs(result.status.used.gpuHours * 3600 - slotSeconds) < 1e-6, 'GPU-hours add up slot seconds, without the wait');
  });
});
