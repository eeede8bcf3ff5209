// The mini Parameter Golf evaluator's rules, on the real task: each illegal recipe ends as its label.
import assert from 'node:assert/strict';
import { startHarness, startCampaign, knob, uniqueId, type Harness } from './support/harness.js';
import type { Label } from '../src/types.js';

describe('golf-mini legality', function () {
  // Four real golf-mini trainings (~140 s on an idle 2-core machine): room for a busy one.
  this.timeout(480_000);
  let h: Harness;
  before(async () => (h = await startHarness({ slots: 2 })));
  after(async () => h?.stop());

  it('labels size_blocked before training, illegal_edit, diverged and train_budget_overrun', async () => {
    const campaignId = uniqueId('golf-rules');
    const proposals = [
      knob('arch', 'D_MODEL = 128  # residual width; keep it divisible by N_HEAD', 'D_MODEL = 512  # residual width; keep it divisible by N_HEAD'),
      { specialist: 'eval', hypothesis: 'score more generously', edits: [{ file: '../evaluator/evaluate.py', search: '', replace: 'print(0)' }] },
      knob('loss', '        logits = logits.float()\n', '        logits = logits.float() * float("nan")\n'),
      knob('opt', 'STEPS = 150  # optimizer steps', 'STEPS = 20000  # optimizer steps'),
    ];
    const handle = await startCampaign(h.client, {
      campaignId,
      task: 'golf-mini',
      budget: { trials: proposals.length },
      parallelism: 2,
      proposer: { kind: 'replay', proposals },
    });
    const result = await handle.result();
    const docs = await h.deps.store.trials.find({ campaignId }).sort({ index: 1 }).toArray();
    const labels: Label[] = ['keep', 'size_blocked', 'illegal_edit', 'diverged', 'train_budget_overrun'];
    assert.deepEqual(
      docs.map((d) => d.label),
      labels,
      docs.map((d) => `${d.index} ${d.label}: ${d.reason}`).join('\n'),
    );
    assert.ok(docs[0]!.score! > 2 && docs[0]!.score! < 8, `baseline val bpb ${docs[0]!.score}`);
    assert.equal(docs[1]!.train, null, 'blocked before any training');
    assert.match(docs[1]!.reason, /projected artifact \d+ bytes > cap 1000000/);
    assert.match(docs[2]!.reason, /path leaves the recipe/);
    assert.ok(docs[4]!.train!.wallS >= 90, 'the overrun was stopped at budget + grace');
    assert.equal(result.status.best!.index, 0);
  });
});
