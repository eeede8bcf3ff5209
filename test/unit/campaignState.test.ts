// The campaign's state and rules (src/campaignState.ts), without Temporal: what the campaign
// workflow does on each finished trial and each free place.
import assert from 'node:assert/strict';
import { CampaignState, MAX_RERUNS } from '../../src/campaignState.js';
import type { CampaignInput, CampaignSetup, TrialOutcome } from '../../src/types.js';

const T0 = '2026-01-01T00:00:00.000Z';
const input: CampaignInput = { campaignId: 'c', task: 'toy', proposer: { kind: 'offline' }, budget: { trials: 4 }, slots: 2 };
const setup: CampaignSetup = {
  baselineSha: 'b',
  evaluatorHash: 'e',
  specialists: ['opt', 'arch'],
  direction: 'minimize',
  limits: { trainS: 5, evalS: 5, repeats: 1 },
};
const outcome = (index: number, o: Partial<TrialOutcome> = {}): TrialOutcome => ({
  trialId: `c-${index}`,
  index,
  specialist: index === 0 ? 'baseline' : 'opt',
  label: 'discard',
  score: 10,
  keep: false,
  sha: `s${index}`,
  hypothesis: 'h',
  gpuSeconds: 2,
  dollars: 0.1,
  ...o,
});

/** A state past its baseline (score 10). */
function afterBaseline(): CampaignState {
  const st = new CampaignState(input, T0);
  st.launched(0, 'baseline', 'c-0', T0);
  st.settle(outcome(0, { label: 'keep', keep: true }), setup.direction, T0);
  return st;
}

describe('campaign state', () => {
  it('keeps slots × (1 + lookahead) trials in flight, none while paused', () => {
    const st = afterBaseline();
    assert.equal(st.parallelism, 4);
    for (let k = 0; k < 4; k++) {
      assert.ok(st.slotFree());
      const next = st.nextTrial(setup.specialists);
      st.launched(next.index, next.specialist, `c-${next.index}`, T0);
    }
    assert.equal(st.slotFree(), false);
    assert.deepEqual(
      st.inFlight.map((t) => [t.index, t.specialist]),
      [
        [1, 'opt'],
        [2, 'arch'],
        [3, 'opt'],
        [4, 'arch'],
      ],
    );
    assert.equal(st.stopRule(Date.parse(T0)), 'trial budget of 4 spent');
    st.settle(outcome(1), setup.direction, T0);
    st.paused = true;
    assert.equal(st.slotFree(), false, 'paused: a free place stays empty');
    st.paused = false;
    assert.ok(st.slotFree());
  });

  it('moves the best only on a better keep, and restarts the plateau count on every keep', () => {
    const st = afterBaseline();
    assert.deepEqual([st.c.best, st.c.baseline], [{ index: 0, score: 10, sha: 's0' }, 10]);
    for (const i of [1, 2, 3]) st.launched(i, 'opt', `c-${i}`, T0);
    st.settle(outcome(1, { score: 5 }), setup.direction, '2026-01-01T01:00:00.000Z'); // better, but a discard
    st.settle(outcome(2, { score: 12, label: 'keep', keep: true }), setup.direction, '2026-01-01T02:00:00.000Z'); // a keep, but worse
    assert.equal(st.c.best!.index, 0, 'the best moves only on a keep that beats it');
    assert.deepEqual([st.c.trialsSinceKeep, st.c.lastKeepAt], [0, '2026-01-01T02:00:00.000Z'], 'any keep restarts the plateau clock');
    st.settle(outcome(3, { score: 8, label: 'keep', keep: true }), setup.direction, '2026-01-01T03:00:00.000Z');
    assert.deepEqual([st.c.best, st.c.trialsSinceKeep, st.c.lastKeepAt], [{ index: 3, score: 8, sha: 's3' }, 0, '2026-01-01T03:00:00.000Z']);
    assert.deepEqual(st.c.counts, { keep: 3, discard: 1 });
    assert.ok(Math.abs(st.c.spent.gpuSeconds - 8) < 1e-9 && Math.abs(st.c.spent.dollars - 0.4) < 1e-9);
  });

  it('gives an infra_error back to the budget and runs its index again, at most MAX_RERUNS times', () => {
    const st = afterBaseline();
    st.launched(1, 'opt', 'c-1', T0);
    for (let k = 1; k <= MAX_RERUNS; k++) {
      st.settle(outcome(1, { label: 'infra_error', score: null }), setup.direction, T0);
      assert.deepEqual([st.c.spent.trials, st.c.finished, st.inFlight.length], [0, 1, 0], 'not spent, not finished');
      assert.deepEqual(st.nextTrial(setup.specialists), { index: 1, specialist: 'opt', rerun: true }, 'the same index first');
      st.launched(1, 'opt', 'c-1', T0);
    }
    st.settle(outcome(1, { label: 'infra_error', score: null }), setup.direction, T0);
    assert.deepEqual([st.c.spent.trials, st.c.finished, st.c.counts.infra_error], [1, 2, 1], 'after MAX_RERUNS it stands and counts');
    assert.equal(st.nextTrial(setup.specialists).index, 2);
    assert.equal(st.status(Date.parse(T0)).rerunAfterInfraError, MAX_RERUNS);
  });

  it('says its state in status, and carries everything into the next run', () => {
    const fresh = new CampaignState(input, T0);
    assert.equal(fresh.status(Date.parse(T0)).state, 'setting_up');
    const st = afterBaseline();
    st.setUp = true;
    assert.equal(st.status().state, 'running');
    st.stopping = true;
    assert.deepEqual([st.status().state, st.status().stoppedBy, st.stopRule()], ['stopping', 'stopped by signal', 'stopped by signal']);
    assert.equal(st.setBudget({ trials: 9 }).trials, 9);
    assert.equal(st.budgetVersion, 1);
    const next = st.nextRunInput(setup);
    assert.deepEqual([next.budget.trials, next.parallelism, next.carried!.run, next.carried!.nextIndex, next.carried!.setup], [9, 4, 2, 1, setup]);
    const resumed = new CampaignState(next, '2026-06-01T00:00:00.000Z');
    assert.deepEqual([resumed.setUp, resumed.c.best, resumed.c.startedAt], [true, st.c.best, T0], "the first run's start and best carry over");
    st.finish('done');
    assert.deepEqual([st.status().state, st.status().stoppedBy], ['finished', 'stopped by signal']);
  });
});
