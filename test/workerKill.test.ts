// A GPU worker killed mid-train: the trial is retried on another worker and recorded once.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { startHarness, startCampaign, knob, uniqueId, until, TOY_TASK, type Harness } from './support/harness.js';
import { repoRoot } from '../src/task/spec.js';
import { lineageHome } from '../src/config.js';
import { trialId } from '../src/ids.js';

function startGpuWorker(host: string): ChildProcess {
  return spawn(process.execPath, [path.join(repoRoot(), 'dist/src/cli/main.js'), 'worker', 'gpu', '--slots', '1'], {
    env: { ...process.env, LINEAGE_HOST: host },
    stdio: 'ignore',
  });
}

function processesIn(dir: string): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readlinkSync(`/proc/${p}/cwd`).startsWith(dir);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('worker killed mid-train', function () {
  let h: Harness;
  const workers: ChildProcess[] = [];
  before(async () => (h = await startHarness({ slots: 0 })));
  after(async () => {
    workers.forEach((w) => w.kill('SIGKILL'));
    await h?.stop();
  });

  it('retries the trial on another worker and records it exactly once', async () => {
    const campaignId = uniqueId('kill');
    const slow = knob('opt', 'SLEEP_S = 0.1  # stands for training time', 'SLEEP_S = 3.5  # stands for training time');
    workers.push(startGpuWorker('host-a'));
    const handle = await startCampaign(h.client, {
      campaignId,
      task: TOY_TASK,
      budget: { trials: 1 },
      parallelism: 1,
      proposer: { kind: 'replay', proposals: [slow] },
    });

    const id = trialId(campaignId, 1);
    const log = path.join(lineageHome(), 'logs', campaignId, `${id}.train.log`);
    await until('trial 1 to be training', async () => existsSync(log) && readFileSync(log, 'utf8').includes('training with'));
    workers[0]!.kill('SIGKILL');
    const checkout = path.join(lineageHome(), 'slots', 'host-a-cpu0', id);
    await until('the orphaned recipe process to die with its worker', async () => processesIn(checkout).length === 0, 5000);

    workers.push(startGpuWorker('host-b'));
    const result = await handle.result();
    const docs = await h.deps.store.trials.find({ _id: id }).toArray();
    assert.equal(docs.length, 1);
    assert.equal(docs[0]!.train!.attempt, 2, 'the second attempt trained it');
    assert.equal(docs[0]!.train!.host, 'host-b');
    assert.equal(docs[0]!.label, 'discard');
    assert.equal(result.status.counts.discard, 1);
    assert.equal(await h.deps.store.trials.countDocuments({ campaignId }), 2);
  });
});
