// Gates and protected files on the real services: a run below its task's gate is gate_miss (its
// time still reported), a faster run above it is kept, and an edit of a protected file is refused.
import assert from 'node:assert/strict';
import path from 'node:path';
import { startHarness, startCampaign, knob, uniqueId, type Harness } from './support/harness.js';
import { repoRoot } from '../src/task/spec.js';
import type { Label } from '../src/types.js';

describe('gate and protected-file rules', function () {
  let h: Harness;
  before(async () => (h = await startHarness({ slots: 1 })));
  after(async () => h?.stop());

  it('labels gate_miss below the gate, keeps a faster legal run, and refuses an edit of a protected file', async () => {
    const campaignId = uniqueId('gated');
    const proposals = [
      knob('opt', 'ACC = 0.95  # the accuracy this "training" reaches', 'ACC = 0.5  # the accuracy this "training" reaches'),
      knob('opt', 'SLEEP_S = 0.6  # stands for training time', 'SLEEP_S = 0.05  # stands for training time'),
      { specialist: 'opt', hypothesis: 'lower the bar', edits: [{ file: 'score_rules.py', search: 'GATE = 0.9', replace: 'GATE = 0.1' }] },
    ];
    const handle = await startCampaign(h.client, {
      campaignId,
      task: path.join(repoRoot(), 'test/fixtures/tasks/gated'),
      budget: { trials: proposals.length },
      parallelism: 1,
      proposer: { kind: 'replay', proposals },
    });
    const result = await handle.result();
    const docs = await h.deps.store.trials.find({ campaignId }).sort({ index: 1 }).toArray();
    const labels: Label[] = ['keep', 'gate_miss', 'keep', 'illegal_edit'];
    assert.deepEqual(
      docs.map((d) => d.label),
      labels,
      docs.map((d) => `${d.index} ${d.label}: ${d.reason}`).join('\n'),
    );
    assert.match(docs[1]!.reason, /acc 0\.5 < gate 0\.9/);
    assert.ok(docs[1]!.score! >= 0.6, `a gate miss still reports the harness's time, got ${docs[1]!.score}`);
    assert.equal(docs[1]!.keep, false);
    assert.ok(docs[2]!.score! < docs[0]!.score! - 0.05, `faster: ${docs[2]!.score} vs baseline ${docs[0]!.score}`);
    assert.equal(docs[3]!.train, null, 'refused before training');
    assert.match(docs[3]!.reason, /score_rules\.py/);
    assert.equal(result.status.best!.index, 2);
  });
});
