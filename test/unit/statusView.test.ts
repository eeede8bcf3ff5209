// `lineage status` output from a status query result.
import assert from 'node:assert/strict';
import { formatStatus } from '../../src/cli/statusView.js';
import { stageWaits, whatItWaitsFor, type PendingStage, type TrialState } from '../../src/cli/stageWaits.js';
import type { CampaignStatus } from '../../src/types.js';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const status: CampaignStatus = {
  campaignId: 'golf-1',
  task: 'golf-mini',
  state: 'running',
  budget: { trials: 200, gpuHours: 2, dollars: 5, deadline: '2026-01-01T16:12:00Z' },
  plateau: { trials: 40, hours: 6 },
  parallelism: 2,
  slots: null,
  lookahead: 1,
  specialistChoice: 'bandit',
  started: 14,
  finished: 12,
  inFlight: [
    { index: 13, specialist: 'arch', trialId: 'golf-1-trial-0013', stage: 'propose', since: '2026-01-01T11:59:58Z' },
    { index: 12, specialist: 'opt', trialId: 'golf-1-trial-0012', stage: 'train', since: '2026-01-01T11:59:32Z' },
  ],
  baseline: 3.66441,
  best: { index: 9, score: 3.58123, sha: '1f0c2d9a7e55aa' },
  counts: { keep: 3, discard: 6, size_blocked: 2, crash: 1 },
  used: { trials: 13, gpuHours: 0.12031, dollars: 0, hours: 8 / 60 },
  left: { trials: 187, gpuHours: 1.87969, dollars: 5, deadlineInS: 4.2 * 3600 },
  trialsSinceKeep: 4,
  lastKeepAt: '2026-01-01T11:57:00Z',
  run: 1,
  nextIndex: 14,
  stoppedBy: null,
};

describe('status view', () => {
  it('prints budget used and left, counts, and in-flight trials with their stages', () => {
    assert.equal(
      formatStatus(status, NOW),
      [
        'campaign golf-1 · task golf-mini · running',
        'run 1 · parallelism 2 · specialists by bandit · next trial #14',
        'baseline 3.664 · best 3.581 (trial #9, 1f0c2d9a7e)',
        'budget',
        '  trials    13 of 200 (187 left)',
        '  GPU-hours 0.1203 of 2 (1.88 left)',
        '  dollars   $0 of $5 ($5 left)',
        '  time      8 min of 2026-01-01T16:12:00Z (4.2 h left)',
        'since last keep: 4 trials, 3 min (plateau stop after 40 trials or 6 h)',
        'finished 12: discard 6, keep 3, size_blocked 2, crash 1',
        'in flight 2:',
        '  # 12  opt        train      for 28 s',
        '  # 13  arch       propose    for 2 s',
      ].join('\n'),
    );
  });

  it('leaves out limits the budget does not set, and says why a campaign stopped', () => {
    const text = formatStatus(
      {
        ...status,
        state: 'finished',
        stoppedBy: 'plateau: no keep in the last 40 finished trials',
        budget: { trials: 200 },
        plateau: null,
        inFlight: [],
        left: { ...status.left, gpuHours: null, dollars: null, deadlineInS: null },
      },
      NOW,
    );
    assert.match(text, /^campaign golf-1 · task golf-mini · finished \(plateau: no keep in the last 40 finished trials\)$/m);
    assert.match(text, /^ {2}GPU-hours 0\.1203$/m);
    assert.match(text, /^ {2}dollars {3}\$0$/m);
    assert.match(text, /^ {2}time {6}8 min$/m);
    assert.match(text, /^since last keep: 4 trials, 3 min$/m);
    assert.match(text, /^in flight 0$/m);
  });

  it('shows a retried stage as the same trial on its Nth attempt, with what it waits for and since when', () => {
    const waits = new Map([
      [12, { activity: 'train', attempt: 4, waitingFor: 'MongoDB', since: '2026-01-01T11:59:40.000Z', lastError: 'connect ECONNREFUSED 127.0.0.1:27017' }],
    ]);
    const text = formatStatus({ ...status, rerunAfterInfraError: 1, outageLimitMinutes: 30 }, NOW, waits);
    assert.match(text, /^ {2}# 12 {2}opt {8}train {6}for 28 s · attempt 4 · waiting for MongoDB since 11:59:40$/m);
    assert.match(text, /^ {2}# 13 {2}arch {7}propose {4}for 2 s$/m, 'a first attempt shows no retry');
    assert.match(text, /^run again after infra_error: 1 \(outage limit 30 min\)$/m);
    assert.equal(text.split('\n').filter((l) => l.includes('# 12')).length, 1, 'one row per trial, however many attempts');
  });
});

describe('what a failing stage waits for', () => {
  const mongo = 'mongodb://127.0.0.1:27017/';
  it('names MongoDB, disk space, git or a worker from the failure', () => {
    assert.equal(whatItWaitsFor('connect ECONNREFUSED 127.0.0.1:27017', false, mongo), 'MongoDB');
    assert.equal(whatItWaitsFor('Server selection timed out after 10000 ms', false, mongo), 'MongoDB');
    assert.equal(whatItWaitsFor('slot disk full under /x (0 of 4194304 bytes free)', false, mongo), 'disk space');
    assert.equal(whatItWaitsFor('git update-ref failed: cannot lock ref', false, mongo), 'git');
    assert.equal(whatItWaitsFor('activity Heartbeat timeout', true, mongo), 'a worker');
    assert.equal(whatItWaitsFor('connect ECONNREFUSED 127.0.0.1:7000', false, mongo), 'a retry', 'another port is not MongoDB');
  });

  it("reads each in-flight trial's stage from the trial, and shows a train no slot has taken as ready", async () => {
    const s = structuredClone(status);
    s.inFlight = [12, 13, 14, 15].map((index) => ({ index, specialist: 'opt', trialId: `t${index}`, stage: 'starting', since: '2026-01-01T11:00:00Z' }));
    const train = (extra: Partial<PendingStage>): PendingStage => ({
      activity: 'train',
      attempt: 1,
      message: null,
      isTimeout: false,
      heartbeat: null,
      lastAttemptAt: null,
      scheduledAt: null,
      ...extra,
    });
    const trials: Record<string, TrialState> = {
      t12: { stage: { name: 'train', since: '2026-01-01T11:59:00Z' }, pending: train({ queued: true }) },
      t13: {
        stage: { name: 'train', since: '2026-01-01T11:59:10Z' },
        pending: train({ heartbeat: { failingSince: null, detail: 'waiting for a free slot' } }),
      },
      t14: { stage: { name: 'train', since: '2026-01-01T11:59:20Z' }, pending: train({ heartbeat: { failingSince: null, detail: 'step 40' } }) },
      t15: { stage: { name: 'propose', since: '2026-01-01T11:59:30Z' }, pending: null },
    };
    await stageWaits(s, async (id) => trials[id]!);
    assert.deepEqual(
      s.inFlight.map((t) => [t.index, t.stage, t.since.slice(11, 19)]),
      [
        [12, 'ready', '11:59:00'],
        [13, 'ready', '11:59:10'],
        [14, 'train', '11:59:20'],
        [15, 'propose', '11:59:30'],
      ],
    );
  });
});
