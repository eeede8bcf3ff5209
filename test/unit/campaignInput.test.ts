// The campaign input's schema: each field's problem named as `field: rule`, the first one only.
import assert from 'node:assert/strict';
import { campaignInputError } from '../../src/campaignInput.js';

const good = { campaignId: 'c-1', task: 'toy', budget: { trials: 3 }, parallelism: 1, proposer: { kind: 'offline' } };
const err = (change: Record<string, unknown>) => campaignInputError({ ...good, ...change });

describe('campaign input schema', () => {
  it('accepts a well-formed input, with the optional fields set or absent', () => {
    assert.equal(campaignInputError(good), null);
    assert.equal(
      err({
        parallelism: undefined,
        slots: 2,
        lookahead: 0,
        rebase: false,
        seed: 7,
        plateau: { trials: 5, hours: 0.5 },
        specialistChoice: 'bandit',
        trialsPerRun: 50,
        roster: { kind: 'generic', agents: 8 },
        outageLimitMinutes: 0.5,
        budget: { trials: 0, gpuHours: 1.5, dollars: 0, deadline: '2026-01-31T18:00:00Z' },
        proposer: { kind: 'claude', optimizer: { kind: 'optuna', sampler: 'cmaes' } },
        preset: 'gpu',
      }),
      null,
    );
  });

  it('names the first bad field and what it must be', () => {
    assert.equal(campaignInputError(5), '(root): must be an object');
    assert.equal(err({ campaignId: 'a b' }), 'campaignId: letters, digits, . _ -');
    assert.equal(err({ task: '' }), 'task: a task name under tasks/');
    assert.equal(err({ budget: undefined }), 'budget: an object with trials (and optionally gpuHours, dollars, deadline)');
    assert.equal(err({ budget: { gpuHours: 1 } }), 'budget.trials: a whole number >= 0');
    assert.equal(err({ budget: { trials: 1, gpus: 2 } }), 'budget.gpus: unknown field (known: trials, gpuHours, dollars, deadline)');
    assert.equal(err({ budget: { trials: 1, dollars: -1 } }), 'budget.dollars: a number >= 0');
    assert.equal(err({ parallelism: 0 }), 'parallelism: a whole number from 1 to 256');
    assert.equal(err({ parallelism: undefined }), 'slots: the number of train slots to fill (or parallelism: trials in flight)');
    assert.equal(err({ slots: 129 }), 'slots: a whole number from 1 to 128');
    assert.equal(err({ lookahead: 9 }), 'lookahead: a whole number from 0 to 4 (proposals ready per slot)');
    assert.equal(err({ rebase: 'yes' }), 'rebase: true or false');
    assert.equal(err({ seed: 1.5 }), 'seed: a whole number');
    assert.equal(err({ plateau: { trials: 0 } }), 'plateau.trials: a whole number >= 1');
    assert.equal(err({ plateau: { days: 2 } }), 'plateau.days: unknown field (known: trials, hours)');
    assert.equal(err({ plateau: 3 }), 'plateau: an object with trials and/or hours');
    assert.equal(err({ specialistChoice: 'greedy' }), 'specialistChoice: round_robin or bandit');
    assert.equal(err({ trialsPerRun: 0 }), 'trialsPerRun: a whole number >= 1');
    assert.equal(err({ roster: { kind: 'crowd' } }), 'roster.kind: one of specialists, generalist, generic');
    assert.equal(err({ roster: { kind: 'generic', agents: 65 } }), 'roster.agents: a whole number from 1 to 64');
    assert.equal(err({ outageLimitMinutes: 0 }), 'outageLimitMinutes: a number of minutes > 0 (default 30)');
    assert.equal(err({ proposer: { kind: 'bayes' } }), 'proposer.kind: one of offline, optuna, replay, claude');
    assert.equal(err({ proposer: { kind: 'replay' } }), 'proposer.proposals: a list of proposals');
    assert.equal(err({ proposer: { kind: 'claude', optimizer: 3 } }), 'proposer.optimizer: {"kind":"optuna","sampler":"tpe"|"cmaes"}');
  });
});
