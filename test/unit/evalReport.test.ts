// The evaluator's report, whichever channel brought it: one shape, and a precise message otherwise.
import assert from 'node:assert/strict';
import { parseReport } from '../../src/scoring/report.js';

describe('evaluator report', () => {
  it('reads metric, label, side metrics and reason; a side metric that is not a number is kept as null', () => {
    assert.deepEqual(parseReport('{"metric": 0.91, "label": "gate_miss", "metrics": {"acc": 0.87, "note": "x"}, "reason": "below 0.88"}'), {
      metric: 0.91,
      metrics: { acc: 0.87, note: null },
      label: 'gate_miss',
      reason: 'below 0.88',
    });
    assert.deepEqual(parseReport('{"metric": null}'), { metric: null, metrics: {}, label: null, reason: '' });
  });

  it('names what is wrong with a malformed report', () => {
    assert.equal(parseReport(''), 'the scorer wrote no report');
    assert.match(parseReport('{"metric": 1') as string, /^the scorer's report is not JSON: /);
    assert.equal(parseReport('[1]'), 'evaluator report: not a JSON object');
    assert.equal(parseReport('{"metric": "0.9"}'), 'evaluator report: "metric" must be a number or null');
    assert.equal(parseReport('{"reason": "no metric"}'), 'evaluator report: "metric" must be a number or null');
    assert.equal(parseReport('{"metric": 1, "label": "best"}'), 'evaluator report: unknown label "best"');
  });
});
