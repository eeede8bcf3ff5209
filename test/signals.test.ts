// Pause, resume and stop signals and the status query, on a live campaign.
import assert from 'node:assert/strict';
import { startHarness, startCampaign, uniqueId, until, TOY_TASK, type Harness } from './support/harness.js';
import type { CampaignResult, CampaignStatus } from '../src/types.js';

describe('campaign signals', function () {
  let h: Harness;
  before(async () => (h = await startHarness({ slots: 2 })));
  after(async () => h?.stop());

  it('fails a campaign at once, naming the problem, when its input is invalid', async () => {
    const bad = async (input: Record<string, unknown>) => {
      const handle = await startCampaign(h.client, {
        campaignId: uniqueId('bad'),
        task: TOY_TASK,
        budget: { trials: 1 },
        parallelism: 1,
        proposer: { kind: 'offline' },
        ...input,
      } as never);
      const err = await handle.result().then(
        () => null,
        (e: unknown) => e as Error & { cause?: Error },
      );
      assert.ok(err, 'the campaign failed');
      return err.cause?.message ?? err.message;
    };
    assert.match(await bad({ parallelism: 0 }), /invalid campaign input: parallelism: a whole number from 1 to 256/);
    assert.match(
      await bad({ parallelism: undefined }),
      /invalid campaign input: slots: the number of train slots to fill \(or parallelism: trials in flight\)/,
    );
    assert.match(await bad({ parallelism: undefined, slots: 2, lookahead: 9 }), /invalid campaign input: lookahead: a whole number from 0 to 4/);
    assert.match(await bad({ task: 'no-such-task' }), /no task spec at .*no-such-task\/task\.yaml/);
    assert.match(await bad({ specialists: ['wizard'] }), /specialists wizard are not in task toy's roster/);
    // FerretDB stores no nested arrays: refused at once, not retried until the outage limit.
    assert.match(
      await bad({ proposer: { kind: 'replay', proposals: [[{ specialist: 'opt', hypothesis: 'h', edits: [] }]] } }),
      /the campaign input cannot be stored in MongoDB: .*nested arrays are not supported/,
    );
  });

  it('pause stops new trials while in-flight ones finish; resume continues; stop ends it', async () => {
    const campaignId = uniqueId('signals');
    const handle = await startCampaign(h.client, {
      campaignId,
      task: TOY_TASK,
      budget: { trials: 40 },
      parallelism: 2,
      proposer: { kind: 'offline' },
      specialists: ['opt', 'arch'],
    });
    const status = () => handle.query<CampaignStatus>('status');

    await until('three finished trials', async () => (await status()).finished >= 3);
    await handle.signal('pause');
    const drained = await until('in-flight trials to finish', async () => {
      const s = await status();
      return s.inFlight.length === 0 ? s : null;
    });
    assert.equal(drained.state, 'paused');
    await new Promise((r) => setTimeout(r, 3000));
    const still = await status();
    assert.equal(still.started, drained.started, 'no trial starts while paused');
    assert.equal(await h.deps.store.trials.countDocuments({ campaignId }), drained.finished, 'every finished trial is recorded');

    await handle.signal('resume');
    await until('trials after resume', async () => (await status()).finished > drained.finished);
    await handle.signal('stop');
    const result: CampaignResult = await handle.result();
    assert.equal(result.note, 'stopped by signal');
    assert.equal(result.status.inFlight.length, 0);
    assert.ok(result.status.started < 41, 'stopped before the budget was spent');
    assert.equal(await h.deps.store.trials.countDocuments({ campaignId }), result.status.started, 'in-flight trials finished and were recorded');
  });
});
