// Dispatch by slot on the real services: one slot, four proposals ready behind the one that
// trains, all proposed on the baseline. Trial 1 trains first (the campaign runs it alone, then is
// widened to slots × (1 + lookahead) while it trains) and is kept; the first waiting trial may take
// the slot before trial 1 is recorded (the best has not moved yet), the others find the best moved.
// Trials 2 and 3 edit lines far from X, so their changes merge three-way onto the new best;
// trials 4 and 5 edit X too, so they conflict and are proposed again on the new best. Which
// waiting trial the slot takes first is Temporal's choice, so each check holds for any order.
// The control campaign, rebase off (the old design), trains them on their stale parent.
import assert from 'node:assert/strict';
import { startHarness, startCampaign, knob, uniqueId, until, TOY_TASK, type Harness } from './support/harness.js';
import { liveStatus } from '../src/cli/status.js';
import { loadSnapshot } from '../src/recipe/snapshot.js';
import type { CampaignInput, CampaignStatus, TrialRecord } from '../src/types.js';

describe('dispatch by slot, rebase at dispatch', function () {
  let h: Harness;
  const X = (from: string, to: string) => knob('opt', `X = ${from}  # the parameter being tuned`, `X = ${to}  # the parameter being tuned`);
  // Trial 1 also trains for 2 s, so the others are proposed while it trains.
  const first = X('3.0', '1.5');
  first.edits.push({ file: 'train.py', search: 'SLEEP_S = 0.1  # stands for training time', replace: 'SLEEP_S = 2  # stands for training time' });
  const proposals: Extract<CampaignInput['proposer'], { kind: 'replay' }>['proposals'] = [
    first,
    knob('arch', 'print("done", flush=True)', 'print("done: artifact written", flush=True)'),
    knob('arch', 'HOG_MB = 0  # allocate this much memory', 'HOG_MB = 0  # allocate this much memory (none)'),
    { ...X('3.0', '2.0'), onConflict: [X('1.5', '1.25'), X('1.0', '1.25')] },
    { ...X('3.0', '2.5'), onConflict: [X('1.5', '1.0'), X('1.25', '1.0')] },
  ];
  const run = async (rebase: boolean) => {
    const campaignId = uniqueId(rebase ? 'rebase' : 'norebase');
    const handle = await startCampaign(h.client, {
      campaignId,
      task: TOY_TASK,
      budget: { trials: 5 },
      slots: 1,
      lookahead: 4,
      rebase,
      proposer: { kind: 'replay', proposals },
    });
    // Trial 1 alone first, so it is the one that trains first; then all five in flight.
    await handle.signal('pause');
    const cap = (await handle.query<CampaignStatus>('status')).parallelism;
    await until('the baseline', async () => (await handle.query<CampaignStatus>('status')).finished >= 1);
    await handle.executeUpdate('setParallelism', { args: [1] });
    await handle.signal('resume');
    await until('trial 1 training', async () => (await liveStatus(h.client, campaignId)).status.inFlight.some((t) => t.index === 1 && t.stage === 'train'));
    await handle.executeUpdate('setParallelism', { args: [cap] });
    const result = await handle.result();
    const docs = (await h.deps.store.trials.find({ campaignId }).sort({ index: 1 }).toArray()) as unknown as TrialRecord[];
    return { result, docs, trials: docs.slice(1), cap };
  };
  let withRebase: Awaited<ReturnType<typeof run>>;
  let without: Awaited<ReturnType<typeof run>>;
  const stale = (t: TrialRecord) => t.train !== null && t.train.bestAtStart?.sha !== t.parentSha;

  before(async function () {
    h = await startHarness({ slots: 1 });
    withRebase = await run(true);
    without = await run(false);
  });
  after(async () => h?.stop());

  it('keeps slots × (1 + lookahead) trials in flight: the four others proposed while the first trains', async () => {
    assert.equal(withRebase.cap, 5, '1 slot × (1 + lookahead 4)');
    const [t1, ...waiting] = withRebase.trials;
    const trainEnd = (t: TrialRecord) => Date.parse(t.stages.find((s) => s.stage === 'train')!.startedAt) + t.train!.wallS * 1000;
    const proposedAt = (t: TrialRecord) => Date.parse(t.stages.find((s) => s.stage === 'propose')!.startedAt);
    for (const t of waiting) assert.ok(proposedAt(t) < trainEnd(t1!), `trial ${t.index} was proposed before trial 1 finished training`);
    assert.deepEqual(
      withRebase.trials.map((t) => t.proposedOnSha),
      withRebase.trials.map(() => withRebase.docs[0]!.sha),
      'every trial was proposed on the baseline',
    );
    assert.equal(withRebase.trials[0]!.label, 'keep');
    assert.ok(!withRebase.docs.some((t) => t.label === 'infra_error'));
  });

  it('no trial trains on a parent older than the best at its start', async () => {
    for (const t of withRebase.trials)
      assert.ok(!stale(t), `trial ${t.index} trained on ${t.parentSha.slice(0, 8)} while the best was ${t.train?.bestAtStart?.sha.slice(0, 8)}`);
    // The first waiting trial to take the slot after trial 1 may do so before trial 1 is recorded.
    assert.ok(
      withRebase.trials.some((t) => t.rebases?.length),
      'the waiting trials found the best moved',
    );
  });

  it('a ready trial whose change merges is carried onto the new best and preflighted again', async () => {
    const merged = withRebase.trials.filter((t) => t.index <= 3 && t.rebases?.[0]?.how === 'merged');
    assert.ok(merged.length >= 1, 'trial 2 or 3 merged (one of them may have taken the slot before trial 1 was recorded)');
    for (const t of merged) {
      assert.equal(t.rebases![0]!.ontoIndex, 1);
      assert.equal(t.parentSha, t.rebases!.at(-1)!.onto);
      const own = t.index === 2 ? /^print\("done: artifact written"/m : /^HOG_MB = 0 {2}# allocate this much memory \(none\)/m;
      const trained = (await loadSnapshot(h.deps.store, t.sha!)).get('train.py')!;
      const parent = (await loadSnapshot(h.deps.store, t.parentSha)).get('train.py')!;
      assert.match(trained, own, 'its own change is in the recipe it trained');
      assert.equal(/^X = .*$/m.exec(trained)![0], /^X = .*$/m.exec(parent)![0], "and the new best's");
      assert.doesNotMatch(t.diff ?? '', /X = /, 'its diff is against the new best');
      const stages = t.stages.map((s) => s.stage);
      const at = stages.indexOf('dispatch');
      // Prepared while it waited (trial 1 told it when it became the best), or after the slot's answer.
      if (t.rebases![0]!.prepared) {
        assert.deepEqual(stages.slice(at, at + 3), ['dispatch', 'adopt', 'train']);
        assert.deepEqual(stages.slice(3, 5), ['rebase', 'preflight'], 'rebased and preflighted before the slot answered');
        const dispatchEnd = Date.parse(t.stages[at]!.startedAt) + t.stages[at]!.seconds * 1000;
        assert.ok(Date.parse(t.stages[4]!.startedAt) < dispatchEnd);
      } else assert.deepEqual(stages.slice(at, at + 5), ['dispatch', 'rebase', 'preflight', 'adopt', 'train']);
    }
  });

  it('a waiting trial told that the best moved prepares its rebase before the slot frees', async () => {
    const prepared = withRebase.trials.filter((t) => t.rebases?.some((r) => r.prepared));
    assert.ok(prepared.length >= 1, `prepared rebases: ${withRebase.trials.map((t) => JSON.stringify(t.rebases)).join(' ')}`);
  });

  it('a ready trial whose change conflicts with the new best is proposed again on it', async () => {
    const reproposed = withRebase.trials.filter((t) => t.index >= 4 && t.rebases?.[0]?.how === 'reproposed');
    assert.ok(reproposed.length >= 1, 'trial 4 or 5 conflicted');
    for (const t of reproposed) {
      assert.match(t.rebases![0]!.reason ?? '', /conflicts with the new best in train\.py/);
      assert.match(t.hypothesis, /^X = 1\.(5|25|0) /, 'its final proposal is the one written on a newer best');
      assert.equal(t.parentSha, t.train?.bestAtStart?.sha);
      assert.equal(t.stages.filter((s) => s.stage === 'propose').length, 1 + t.rebases!.filter((r) => r.how === 'reproposed').length);
    }
  });

  it('control, rebase off (the old design): ready trials train on their stale parent', async () => {
    assert.equal(without.trials[0]!.label, 'keep');
    const staleOnes = without.trials.filter(stale);
    assert.ok(staleOnes.length >= 1, 'a trial trained on a parent older than the best at its start');
    for (const t of without.trials) assert.deepEqual(t.rebases, []);
    for (const t of staleOnes) assert.equal(t.parentSha, without.docs[0]!.sha);
  });
});
