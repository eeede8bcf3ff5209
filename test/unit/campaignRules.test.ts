// The stopping rules and the setBudget validator, as pure functions.
import assert from 'node:assert/strict';
import { budgetChangeError, budgetFieldError, msUntilTimeRule, plateauFieldError, stopReason, type RuleState } from '../../src/campaignRules.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const HOUR = 3_600_000;
const state = (o: Partial<RuleState> = {}): RuleState => ({
  budget: { trials: 10 },
  plateau: null,
  spent: { trials: 3, gpuSeconds: 100, dollars: 0.5 },
  now: T0,
  lastKeepAt: T0,
  trialsSinceKeep: 0,
  ...o,
});

describe('campaign stopping rules', () => {
  it('lets trials start while every limit has room', () => {
    assert.equal(
      stopReason(state({ budget: { trials: 10, gpuHours: 1, dollars: 1, deadline: '2026-01-02T00:00:00Z' }, plateau: { trials: 5, hours: 2 } })),
      null,
    );
  });

  it('stops when the trial budget is spent', () => {
    assert.equal(stopReason(state({ budget: { trials: 3 } })), 'trial budget of 3 spent');
  });

  it('stops when GPU-hours are spent', () => {
    assert.equal(stopReason(state({ budget: { trials: 10, gpuHours: 100 / 3600 } })), 'GPU-hour budget of 0.027777777777777776 spent (0.0278 h used)');
    assert.equal(stopReason(state({ budget: { trials: 10, gpuHours: 101 / 3600 } })), null);
  });

  it('stops at the dollar cap: no proposal is made once the dollars are spent', () => {
    assert.equal(stopReason(state({ budget: { trials: 10, dollars: 0.5 } })), 'dollar budget of $0.5 spent ($0.5 used)');
    assert.equal(
      stopReason(state({ budget: { trials: 10, dollars: 0.25 }, spent: { trials: 3, gpuSeconds: 0, dollars: 0.3 } })),
      'dollar budget of $0.25 spent ($0.3 used)',
    );
    assert.equal(stopReason(state({ budget: { trials: 10, dollars: 0.51 } })), null);
  });

  it('stops once the deadline passes', () => {
    const deadline = '2026-01-01T01:00:00Z';
    assert.equal(stopReason(state({ budget: { trials: 10, deadline }, now: T0 + HOUR - 1 })), null);
    assert.equal(stopReason(state({ budget: { trials: 10, deadline }, now: T0 + HOUR })), `deadline ${deadline} passed`);
  });

  it('stops on a plateau of trials or of hours since the last keep', () => {
    assert.equal(stopReason(state({ plateau: { trials: 4 }, trialsSinceKeep: 3 })), null);
    assert.equal(stopReason(state({ plateau: { trials: 4 }, trialsSinceKeep: 4 })), 'plateau: no keep in the last 4 finished trials');
    assert.equal(stopReason(state({ plateau: { hours: 2 }, now: T0 + 2 * HOUR - 1 })), null);
    assert.equal(stopReason(state({ plateau: { hours: 2 }, now: T0 + 2 * HOUR })), 'plateau: no keep for 2 hours');
  });

  it('wakes an idle campaign at the earlier of the deadline and the plateau hour', () => {
    assert.equal(msUntilTimeRule({ budget: { trials: 1 }, plateau: null, now: T0, lastKeepAt: T0 }), null);
    assert.equal(msUntilTimeRule({ budget: { trials: 1, deadline: '2026-01-01T03:00:00Z' }, plateau: { hours: 2 }, now: T0 + HOUR, lastKeepAt: T0 }), HOUR);
    assert.equal(msUntilTimeRule({ budget: { trials: 1, deadline: '2026-01-01T00:30:00Z' }, plateau: { hours: 2 }, now: T0, lastKeepAt: T0 }), HOUR / 2);
    assert.equal(msUntilTimeRule({ budget: { trials: 1, deadline: '2025-12-31T00:00:00Z' }, now: T0, lastKeepAt: T0 }), 1, 'a passed deadline wakes at once');
  });
});

describe('setBudget validator', () => {
  const spent = { trials: 3, gpuSeconds: 7200, dollars: 1.25 };
  it('refuses a limit below what is already spent, naming the field', () => {
    assert.equal(budgetChangeError({ trials: 2 }, spent, T0), 'trials: 2 is below the 3 trials already started');
    assert.equal(budgetChangeError({ gpuHours: 1.5 }, spent, T0), 'gpuHours: 1.5 is below the 2 GPU-hours already spent');
    assert.equal(budgetChangeError({ dollars: 1 }, spent, T0), 'dollars: 1 is below the $1.25 already spent');
    assert.equal(
      budgetChangeError({ deadline: '2025-12-31T23:00:00Z' }, spent, T0),
      'deadline: 2025-12-31T23:00:00Z is in the past (now 2026-01-01T00:00:00.000Z)',
    );
    assert.equal(
      budgetChangeError({ trials: 20, dollars: 1 }, spent, T0),
      'dollars: 1 is below the $1.25 already spent',
      'one bad field refuses the whole change',
    );
  });

  it('accepts limits at or above what is spent', () => {
    assert.equal(budgetChangeError({ trials: 3 }, spent, T0), null);
    assert.equal(budgetChangeError({ trials: 20, gpuHours: 2, dollars: 1.25, deadline: '2026-01-02T00:00:00Z' }, spent, T0), null);
  });

  it('refuses malformed changes', () => {
    assert.equal(budgetChangeError({}, spent, T0), 'budget change: name at least one of trials, gpuHours, dollars, deadline');
    assert.equal(budgetChangeError({ trials: 2.5 }, spent, T0), 'trials: a whole number >= 0');
    assert.equal(budgetChangeError({ dollars: -1 }, spent, T0), 'dollars: a number >= 0');
    assert.equal(budgetChangeError({ deadline: 'tomorrow' }, spent, T0), 'deadline: an ISO time such as 2026-01-31T18:00:00Z');
    assert.equal(budgetChangeError({ gpus: 2 }, spent, T0), 'gpus: unknown field (known: trials, gpuHours, dollars, deadline)');
    assert.equal(budgetChangeError(5, spent, T0), 'budget change: an object with any of trials, gpuHours, dollars, deadline');
  });

  it('checks campaign input budgets and plateaus field by field', () => {
    assert.equal(budgetFieldError({ gpuHours: 1 }, 'budget.', true), 'budget.trials: a whole number >= 0');
    assert.equal(budgetFieldError({ trials: 5, deadline: '2026-13-45' }, 'budget.', true), 'budget.deadline: an ISO time such as 2026-01-31T18:00:00Z');
    assert.equal(plateauFieldError({ trials: 0 }), 'plateau.trials: a whole number >= 1');
    assert.equal(plateauFieldError({ hours: 'two' }), 'plateau.hours: a number > 0');
    assert.equal(plateauFieldError({ trials: 5, hours: 0.5 }), null);
  });
});
