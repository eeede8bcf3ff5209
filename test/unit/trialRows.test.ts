import assert from 'node:assert/strict';
import { failureGist, trialRow } from '../../src/cli/trialRows.js';
import type { TrialDoc } from '../../src/store/db.js';

const trial = (over: Partial<TrialDoc>): TrialDoc =>
  ({
    _id: 't',
    trialId: 't',
    index: 0,
    specialist: 'baseline',
    hypothesis: 'baseline recipe',
    label: 'keep',
    score: 3.6644,
    reason: '',
    logExcerpt: '',
    ...over,
  }) as TrialDoc;

describe('trial rows', () => {
  it('a failed trial says why on its row: the exception its traceback ends with', () => {
    const crash = trial({
      label: 'crash',
      score: null,
      reason:
        'train exited 1:\nTraceback (most recent call last):\n  File "train.py", line 3, in <module>\n    import numpy as np\nModuleNotFoundError: No module named \'numpy\'',
    });
    assert.equal(failureGist(crash), "ModuleNotFoundError: No module named 'numpy'");
    assert.match(trialRow(crash, null), /crash\s+score —\s+best —  — ModuleNotFoundError: No module named 'numpy'$/);
  });
  it("without a traceback the reason's first line, clipped", () => {
    const overrun = trial({ label: 'train_budget_overrun', score: null, reason: `train ran past its budget of 90 s + 10 s grace ${'x'.repeat(100)}\nmore` });
    assert.equal(failureGist(overrun).length, 70);
    assert.match(failureGist(overrun), /^train ran past its budget of 90 s \+ 10 s grace x+…$/);
  });
  it('keep and discard rows carry no reason', () => {
    assert.doesNotMatch(trialRow(trial({}), 3.6644), / — /);
    assert.doesNotMatch(trialRow(trial({ label: 'discard', reason: 'no better than 3.66' }), 3.6644), / — /);
  });
});
