// Operating a live campaign: the status query, the setBudget and setParallelism updates (from
// the client and from `lineage budget` / `lineage parallelism`), and the stopping rules
// (deadline, plateau, GPU-hours, dollars), on the real services.
import assert from 'node:assert/strict';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { startHarness, startCampaign, knob, uniqueId, until, TOY_TASK, type Harness } from './support/harness.js';
import path from 'node:path';
import { lineage, run } from './support/cli.js';
import { repoRoot } from '../src/task/spec.js';
import { liveStatus } from '../src/cli/status.js';
import type { Budget, CampaignInput, CampaignResult, CampaignStatus } from '../src/types.js';

/** `temporal workflow ...` against the test services. */
const temporalCli = (...args: string[]) =>
  run(path.join(repoRoot(), '.lineage/bin/temporal'), ['workflow', ...args, '--address', process.env.TEMPORAL_ADDRESS!]);
const SLOW = knob('opt', 'SLEEP_S = 0.1  # stands for training time', 'SLEEP_S = 3  # stands for training time', 'train slowly');
const worse = (x: string) => knob('opt', 'X = 3.0  # the parameter being tuned', `X = ${x}  # the parameter being tuned`, `X = ${x}`);

describe('operating a campaign', function () {
  let h: Harness;
  before(async () => (h = await startHarness({ slots: 1 })));
  after(async () => h?.stop());

  const start = (input: Partial<CampaignInput> & { campaignId: string }) =>
    startCampaign(h.client, { task: TOY_TASK, budget: { trials: 5 }, parallelism: 1, proposer: { kind: 'offline' }, ...input });
  const refusal = (p: Promise<unknown>) =>
    p.then(
      () => assert.fail('the update was accepted'),
      (err: unknown) => {
        assert.ok(err instanceof WorkflowUpdateFailedError, `refused by the validator, got ${String(err)}`);
        return (err.cause as Error).message;
      },
    );

  it('status shows in-flight stages; setBudget refuses limits below what is spent and accepts others; setParallelism', async () => {
    const campaignId = uniqueId('ops');
    const handle = await start({ campaignId, budget: { trials: 5, gpuHours: 10, dollars: 3 }, proposer: { kind: 'replay', proposals: [SLOW, SLOW] } });
    const training = await until('trial 1 training', async () => {
      // The campaign knows which trials are in flight; each trial's stage is read from the trial.
      const { status: s } = await liveStatus(h.client, campaignId);
      return s.inFlight.find((t) => t.index === 1 && t.stage === 'train') ? s : null;
    });
    assert.deepEqual(Object.keys(training).sort(), [
      'baseline',
      'best',
      'budget',
      'campaignId',
      'counts',
      'finished',
      'inFlight',
      'lastKeepAt',
      'left',
      'lookahead',
      'nextIndex',
      'outageLimitMinutes',
      'parallelism',
      'plateau',
      'rerunAfterInfraError',
      'run',
      'slots',
      'specialistChoice',
      'started',
      'state',
      'stoppedBy',
      'task',
      'trialsSinceKeep',
      'used',
    ]);
    assert.equal(training.state, 'running');
    assert.deepEqual(
      training.inFlight.map((t) => [t.index, t.specialist, t.trialId, t.stage]),
      [[1, 'opt', `${campaignId}-trial-0001`, 'train']],
    );
    assert.ok(Date.parse(training.inFlight[0]!.since) > 0);
    assert.equal(training.started, 2);
    assert.equal(training.finished, 1);
    assert.equal(training.baseline, 4);
    assert.equal(training.best!.score, 4);
    assert.deepEqual(training.counts, { keep: 1 });
    assert.equal(training.used.trials, 1);
    assert.ok(training.used.gpuHours > 0, 'the baseline spent slot time');
    assert.equal(training.used.dollars, 0);
    assert.deepEqual({ ...training.left, gpuHours: null }, { trials: 4, gpuHours: null, dollars: 3, deadlineInS: null });
    assert.ok(training.left.gpuHours! < 10 && training.left.gpuHours! > 9.9);
    assert.equal(training.trialsSinceKeep, 0);
    assert.equal(training.run, 1);
    assert.equal(training.stoppedBy, null);

    // Paused, so the trials spent stay put from here on.
    await handle.signal('pause');
    const paused = await until('the pause', async () => {
      const s = await handle.query<CampaignStatus>('status');
      return s.state === 'paused' ? s : null;
    });
    const spent = paused.used.trials;
    const readable = await lineage('status', campaignId);
    assert.equal(readable.code, 0, readable.stderr);
    assert.match(readable.stdout, new RegExp(`^campaign ${campaignId} · task ${TOY_TASK} · paused`, 'm'));
    assert.match(readable.stdout, new RegExp(`^ {2}trials {4}${spent} of 5 \\(${5 - spent} left\\)$`, 'm'));
    assert.match(readable.stdout, /^ {2}dollars {3}\$0 of \$3 \(\$3 left\)$/m);

    // Refused: below what is spent, in the past, malformed; the budget is unchanged.
    assert.equal(
      await refusal(handle.executeUpdate('setBudget', { args: [{ trials: spent - 1 }] })),
      `budget refused: trials: ${spent - 1} is below the ${spent} trials already started`,
    );
    assert.match(
      await refusal(handle.executeUpdate('setBudget', { args: [{ gpuHours: 0 }] })),
      /^budget refused: gpuHours: 0 is below the [\d.]+ GPU-hours already spent$/,
    );
    assert.match(
      await refusal(handle.executeUpdate('setBudget', { args: [{ deadline: '2020-01-01T00:00:00Z' }] })),
      /^budget refused: deadline: 2020-01-01T00:00:00Z is in the past/,
    );
    assert.equal(await refusal(handle.executeUpdate('setBudget', { args: [{ dollars: -2 }] })), 'budget refused: dollars: a number >= 0');
    assert.equal(await refusal(handle.executeUpdate('setParallelism', { args: [0] })), 'parallelism refused: parallelism: a whole number from 1 to 256');
    assert.equal(await refusal(handle.executeUpdate('setParallelism', { args: [257] })), 'parallelism refused: parallelism: a whole number from 1 to 256');
    assert.deepEqual((await handle.query<CampaignStatus>('status')).budget, { trials: 5, gpuHours: 10, dollars: 3 });

    const cliRefused = await lineage('budget', campaignId, '--dollars', '0', '--trials', '0');
    assert.equal(cliRefused.code, 1);
    assert.match(cliRefused.stderr, new RegExp(`^refused: budget refused: trials: 0 is below the ${spent} trials already started$`, 'm'));
    const cliPar = await lineage('parallelism', campaignId, '2');
    assert.equal(cliPar.code, 0, cliPar.stderr);
    assert.equal(cliPar.stdout.trim(), `parallelism of ${campaignId}: 2`);
    const json = JSON.parse((await lineage('status', campaignId, '--json')).stdout) as CampaignStatus;
    assert.equal(json.parallelism, 2);
    assert.equal(json.state, 'paused');
    assert.equal(json.used.trials, spent);

    // Accepted: limits above, then at, what is spent; at it, the campaign ends after its in-flight trials.
    const cliBudget = await lineage('budget', campaignId, '--trials', String(spent + 1), '--gpu-hours', '5');
    assert.equal(cliBudget.code, 0, cliBudget.stderr);
    assert.equal(cliBudget.stdout.trim(), `budget of ${campaignId}: {"trials":${spent + 1},"gpuHours":5,"dollars":3}`);
    // And with the Temporal CLI, as the README shows.
    const tRefused = await temporalCli('update', 'execute', '--workflow-id', campaignId, '--name', 'setBudget', '--input', '{"trials":0}');
    assert.notEqual(tRefused.code, 0);
    assert.match(tRefused.stdout + tRefused.stderr, new RegExp(`budget refused: trials: 0 is below the ${spent} trials already started`));
    const tAccepted = await temporalCli('update', 'execute', '--workflow-id', campaignId, '--name', 'setBudget', '--input', `{"trials":${spent + 2}}`);
    assert.equal(tAccepted.code, 0, tAccepted.stderr);
    assert.match(tAccepted.stdout, new RegExp(`Result +map\\[.*\\btrials:${spent + 2}\\]`));
    const tQuery = await temporalCli('query', '--workflow-id', campaignId, '--type', 'status', '--output', 'json');
    assert.equal(tQuery.code, 0, tQuery.stderr);
    assert.equal(JSON.parse(tQuery.stdout).queryResult[0].budget.trials, spent + 2);

    const accepted: Budget = await handle.executeUpdate('setBudget', { args: [{ trials: spent, dollars: 1 }] });
    assert.deepEqual(accepted, { trials: spent, gpuHours: 5, dollars: 1 });
    const result: CampaignResult = await handle.result();
    assert.equal(result.note, `trial budget of ${spent} spent`);
    assert.equal(result.status.started, spent + 1);
    assert.equal(result.status.inFlight.length, 0);
    assert.equal(result.status.parallelism, 2);
    assert.deepEqual(result.status.budget, { trials: spent, gpuHours: 5, dollars: 1 });
    // A finished campaign's status is read from its result, over the Web UI's HTTP API and over gRPC alike.
    const ui = process.env.TEMPORAL_UI_URL;
    try {
      for (const via of [process.env.LINEAGE_TEST_UI_URL!, '']) {
        process.env.TEMPORAL_UI_URL = via;
        const closed = await lineage('status', campaignId, '--json');
        assert.equal(closed.code, 0, closed.stderr);
        const { waits, ...status } = JSON.parse(closed.stdout) as CampaignStatus & { waits: object };
        assert.deepEqual(status, result.status, via ? 'over HTTP' : 'over gRPC');
        assert.deepEqual(waits, {}, 'a finished campaign waits for nothing');
      }
    } finally {
      process.env.TEMPORAL_UI_URL = ui;
    }
  });

  it('stops at the deadline even while idle', async () => {
    const campaignId = uniqueId('deadline');
    const handle = await start({ campaignId, budget: { trials: 50 } });
    await handle.signal('pause');
    await until('the baseline', async () => (await handle.query<CampaignStatus>('status')).finished >= 1);
    const deadline = new Date(Date.now() + 4000).toISOString();
    assert.deepEqual(await handle.executeUpdate('setBudget', { args: [{ deadline }] }), { trials: 50, deadline });
    const s = await handle.query<CampaignStatus>('status');
    assert.ok(s.left.deadlineInS! > 0 && s.left.deadlineInS! <= 4);
    const result: CampaignResult = await handle.result();
    assert.equal(result.note, `deadline ${deadline} passed`);
    assert.equal(result.status.state, 'finished');
    assert.equal(result.status.stoppedBy, result.note);
    assert.ok(Date.now() >= Date.parse(deadline), 'not before the deadline');
    assert.equal(await h.deps.store.trials.countDocuments({ campaignId }), result.status.started);
  });

  it('stops on a plateau of trials without a keep', async () => {
    const campaignId = uniqueId('plateau-trials');
    // Started with the Temporal CLI, as the README shows.
    const input: CampaignInput = {
      campaignId,
      task: TOY_TASK,
      budget: { trials: 10 },
      plateau: { trials: 2 },
      parallelism: 1,
      proposer: { kind: 'replay', proposals: [worse('5.0'), worse('6.0'), worse('7.0')] },
    };
    const started = await temporalCli(
      'start',
      '--type',
      'campaign',
      '--task-queue',
      'lineage-control',
      '--workflow-id',
      campaignId,
      '--input',
      JSON.stringify(input),
    );
    assert.equal(started.code, 0, started.stderr);
    const result: CampaignResult = await h.client.workflow.getHandle(campaignId).result();
    assert.equal(result.note, 'plateau: no keep in the last 2 finished trials');
    assert.equal(result.status.started, 3);
    assert.deepEqual(result.status.counts, { keep: 1, discard: 2 });
    assert.equal(result.status.trialsSinceKeep, 2);
  });

  it('stops on a plateau of hours without a keep, even while idle', async () => {
    const campaignId = uniqueId('plateau-hours');
    const handle = await start({ campaignId, budget: { trials: 10 }, plateau: { hours: 5 / 3600 } });
    await handle.signal('pause');
    const result: CampaignResult = await handle.result();
    assert.equal(result.note, `plateau: no keep for ${5 / 3600} hours`);
    assert.ok(Date.now() - Date.parse(result.status.lastKeepAt) >= 5000);
  });

  it('stops once the GPU-hour budget or the dollar cap is spent', async () => {
    const gpu = await start({ campaignId: uniqueId('gpu-hours'), budget: { trials: 10, gpuHours: 0.0001 } });
    const dollarsId = uniqueId('dollars');
    const cli = lineage(
      'start',
      '--task',
      TOY_TASK,
      '--id',
      dollarsId,
      '--trials',
      '10',
      '--parallelism',
      '1',
      '--dollars',
      '0',
      '--plateau-trials',
      '3',
      '--bandit',
      '--trials-per-run',
      '4',
      '--wait',
    );
    const g: CampaignResult = await gpu.result();
    assert.match(g.note, /^GPU-hour budget of 0\.0001 spent \([\d.]+ h used\)$/);
    assert.ok(g.status.used.gpuHours >= 0.0001);
    assert.ok(g.trials[0]!.gpuSeconds > 0);
    // The offline proposer costs $0, so a $0 cap is what a real campaign here can exhaust; the
    // cap's arithmetic on non-zero dollars is covered by test/unit/campaignRules.test.ts.
    const started = await cli;
    assert.equal(started.code, 0, started.stderr);
    assert.match(started.stdout, /^dollar budget of \$0 spent \(\$0 used\)$/m);
    assert.match(started.stdout, /^run 1 · parallelism 1 · specialists by bandit · next trial #1$/m, 'no proposal was made');
    const d: CampaignResult = await h.client.workflow.getHandle(dollarsId).result();
    assert.equal(d.note, 'dollar budget of $0 spent ($0 used)');
    assert.deepEqual(d.status.budget, { trials: 10, dollars: 0 });
    assert.deepEqual(d.status.plateau, { trials: 3 });
  });
});
