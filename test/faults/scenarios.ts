// The faults, one scenario each. A scenario's `strike` runs beside its campaign and returns one
// line per fault it injected (what, and in which trial and stage).
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkerSpec } from './processes.js';
import type { Run } from './suite.js';

export interface Scenario {
  name: string;
  description: string;
  before?: (run: Run, workers: Record<string, WorkerSpec>) => Promise<void>;
  strike: (run: Run, workers: Record<string, WorkerSpec>) => Promise<string[]>;
  after?: (run: Run, workers: Record<string, WorkerSpec>) => Promise<void>;
}

const at = (s: { index: number; stage: string } | null) => (s ? `#${s.index} ${s.stage}` : 'between trials');
const clock = () => new Date().toISOString().slice(11, 19);

/** kill -9 of the GPU worker at random moments of train and evaluate (and between them), restarted a few seconds later. */
const gpuWorkerKills = (kills: number): Scenario => ({
  name: `gpu-worker-kill-x${kills}`,
  description: `kill -9 of the GPU worker ${kills} times, 0-5.5 s after a train got going (in train, between, in evaluate); the same host back 2-5 s later`,
  async strike(run, w) {
    const faults: string[] = [];
    while (faults.length < kills) {
      if (!(await run.waitForActiveTrain(w['gpu-a']!.home))) break;
      await sleep(run.rng() * 5500);
      const s = await run.stage();
      await run.workers.kill('gpu-a');
      faults.push(`kill -9 gpu worker at ${at(s)}`);
      await sleep(2000 + run.rng() * 3000);
      run.workers.start('gpu-a', w['gpu-a']!);
    }
    return faults;
  },
});

/**
 * kill -9 of the control worker inside a propose and inside a record. Both stages take
 * milliseconds, so the suite holds the stage open by freezing FerretDB (SIGSTOP) the moment the
 * trial enters it, kills the worker while the stage waits on the database, then thaws it.
 */
const controlWorkerKills: Scenario = {
  name: 'control-worker-kill',
  description: 'kill -9 of the control worker mid-propose and mid-record (the stage held open by a frozen FerretDB), restarted 3 s later',
  async strike(run, w) {
    const faults: string[] = [];
    for (const [stage, entering] of [
      ['propose', ['starting', 'propose']],
      ['record', ['record']],
    ] as const) {
      // Both stages last milliseconds: try trial after trial until one is caught inside.
      for (;;) {
        const s = await run.waitForStage([...entering], 10, 1);
        if (!s) return faults;
        run.services.signal('ferretdb', 'SIGSTOP');
        await sleep(1500);
        const now = await run.stage();
        if (now?.index === s.index && now.stage === stage) {
          await run.workers.kill('control');
          faults.push(`kill -9 control worker at ${at(now)}`);
          run.services.signal('ferretdb', 'SIGCONT');
          await sleep(3000);
          run.workers.start('control', w.control!);
          break;
        }
        run.services.signal('ferretdb', 'SIGCONT'); // missed the stage: try the next trial
        await run.waitForStage(['judge'], 100, s.index + 1);
      }
    }
    return faults;
  },
};

/** kill -9 of a service while a trial trains, restarted on the same port and state after `downS`. */
const serviceDown = (service: 'temporal' | 'ferretdb', downs: number[], statusAfterS?: number): Scenario => ({
  name: `${service === 'temporal' ? 'temporal-server' : 'mongodb'}-down-${downs.map((d) => (d >= 60 ? `${d / 60}min` : `${d}s`)).join('-')}`,
  description: `kill -9 of ${service === 'temporal' ? 'the Temporal dev server' : 'FerretDB (MongoDB)'} during a train, restarted after ${downs.map((d) => `${d} s`).join(', then ')}`,
  async strike(run, w) {
    const faults: string[] = [];
    for (const downS of downs) {
      const s = await run.waitForActiveTrain(w['gpu-a']!.home);
      if (!s) break;
      await run.services.kill(service);
      const t0 = Date.now();
      faults.push(`kill -9 ${service} at ${at(s)} (${clock()}), down ${downS} s`);
      if (statusAfterS !== undefined && downS > statusAfterS) {
        await sleep(statusAfterS * 1000);
        run.notes.push(`\`lineage status\` after ${statusAfterS} s of the outage (${clock()}):\n${run.lineage('status', run.campaignId).trimEnd()}`);
      }
      await sleep(Math.max(0, downS * 1000 - (Date.now() - t0)));
      await run.services.restart();
    }
    return faults;
  },
});

/** The slot's disk (a 4 MiB tmpfs mounted as the GPU worker's slots folder) filled up during a train, freed 12 s later. */
const diskFull = (times: number): Scenario => {
  const slotsOf = (w: Record<string, WorkerSpec>) => path.join(w['gpu-a']!.home, 'slots');
  return {
    name: `slot-disk-full-x${times}`,
    description: `the GPU worker's slot folder is a 4 MiB tmpfs; filled to the last byte during a train, ${times} times, freed 12 s later`,
    async before(_run, w) {
      mkdirSync(slotsOf(w), { recursive: true });
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', slotsOf(w)]);
    },
    async strike(run, w) {
      const faults: string[] = [];
      for (let i = 0; i < times; i++) {
        const s = await run.waitForActiveTrain(w['gpu-a']!.home);
        if (!s) break;
        const filler = path.join(slotsOf(w), `filler-${i}`);
        const fd = openSync(filler, 'w');
        const block = Buffer.alloc(64 * 1024);
        try {
          for (;;) writeSync(fd, block);
        } catch {
          // ENOSPC: full
        }
        for (let n = 1024; n >= 1; n = Math.floor(n / 2)) {
          try {
            for (;;) writeSync(fd, block.subarray(0, n));
          } catch {
            // the last bytes
          }
        }
        closeSync(fd);
        faults.push(`slot disk full at ${at(s)} for 12 s`);
        await sleep(12_000);
        rmSync(filler, { force: true });
      }
      return faults;
    },
    async after(_run, w) {
      execFileSync('umount', [slotsOf(w)]);
    },
  };
};

let takenOver: number | null = null;

/** The GPU worker's host dies for good mid-evaluate; a worker on a second host (own LINEAGE_HOME and LINEAGE_HOST) takes its trials over. */
const secondHost: Scenario = {
  name: 'second-host-takeover',
  description: 'kill -9 of the GPU worker on host-a mid-evaluate, never restarted; a GPU worker on host-b (its own home and hostname) starts 3 s later',
  async strike(run, w) {
    const s = await run.waitForActiveTrain(w['gpu-a']!.home);
    if (!s) return [];
    const inEval = await run.waitForStage(['evaluate'], 50, s.index);
    await sleep(500);
    await run.workers.kill('gpu-a');
    await sleep(3000);
    run.workers.start('gpu-b', { kind: 'gpu', host: 'host-b', home: run.suite.home('host-b') });
    takenOver = inEval?.index ?? null;
    return [`kill -9 gpu worker host-a at ${at(inEval)} (for good); host-b takes over`];
  },
  async after(run) {
    // What the record says, not what the script hoped: which host trained the struck trial.
    const doc = takenOver === null ? null : await run.suite.store.trials.findOne({ campaignId: run.campaignId, index: takenOver });
    run.notes.push(
      `trial #${takenOver} (outputs on host-a when it died): recorded ${doc?.label}, trained on ${doc?.train?.host} (train attempt ${doc?.train?.attempt})`,
    );
  },
};

export const SCENARIOS: Scenario[] = [
  gpuWorkerKills(12),
  controlWorkerKills,
  serviceDown('temporal', [10, 120]),
  serviceDown('ferretdb', [30, 300], 40),
  diskFull(2),
  secondHost,
];

/** The short form in `npm test`: two GPU-worker kills and a 30 s MongoDB outage. */
export const SHORT: Scenario[] = [gpuWorkerKills(2), serviceDown('ferretdb', [30], 20)];
