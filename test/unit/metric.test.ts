import assert from 'node:assert/strict';
import { bestFirst, bestKept, betterWord, gainOver, isBetter } from '../../src/metric.js';

describe('metric direction', () => {
  it('compares, measures gains and sorts the same way for either direction', () => {
    assert.deepEqual([isBetter('minimize', 1, 2), isBetter('maximize', 1, 2), isBetter('minimize', 2, 2)], [true, false, false]);
    assert.deepEqual([gainOver('minimize', 1, 3), gainOver('maximize', 1, 3)], [2, -2]);
    assert.deepEqual([betterWord('minimize'), betterWord('maximize')], ['lower', 'higher']);
    assert.deepEqual([3, 1, 2].sort(bestFirst('maximize')), [3, 2, 1]);
  });

  it('finds the best kept, scored trial: discards and unscored ones never count, the first of equals wins', () => {
    const trials = [
      { index: 0, keep: true, score: 5 },
      { index: 1, keep: false, score: 1 },
      { index: 2, keep: true, score: null },
      { index: 3, keep: true, score: 3 },
      { index: 4, keep: true, score: 3 },
    ];
    assert.equal(bestKept('minimize', trials)?.index, 3);
    assert.equal(bestKept('maximize', trials)?.index, 0);
    assert.equal(
      bestKept(
        'minimize',
        trials.filter((t) => !t.keep),
      ),
      null,
    );
  });
});
