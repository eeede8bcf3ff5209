// Runs untrusted recipe code: a clean environment, the sandbox (sandbox.ts) and a cgroup of its
// own (cgroup.ts) that bounds memory, pids and CPU whatever process groups the code makes. The
// run ends when its command exits or passes budget + grace, and then the whole cgroup is
// killed: nothing it started keeps working off the clock, and its wall time is the cgroup's
// lifetime. Where the host has no usable cgroups, the process group is watched instead.
import { execa } from 'execa';
import { createWriteStream, readdirSync, readFileSync } from 'node:fs';
import type { RunOutcome } from '../types.js';
import { RunCgroup } from './cgroup.js';
import { sandboxPrefix, type SandboxSpec } from './sandbox.js';

export interface BudgetedRun {
  command: string[];
  cwd: string;
  env: Record<string, string>;
  budgetS: number;
  graceS: number;
  memoryLimitMb: number;
  logFile: string;
  /** Called every few seconds with the last output line, for activity heartbeats. */
  onProgress?: (lastLine: string) => void;
  signal?: AbortSignal;
  tailBytes?: number;
  /** Default: only cwd is writable, network off, nothing else visible but the interpreter. */
  sandbox?: Partial<SandboxSpec>;
  /** CPU cores (the slot's threads; default 1) and process/thread count (default 1024). */
  cpus?: number;
  pids?: number;
}

const PAGE_KB = 4;

/** Resident memory in MB of every process in the group. */
export function groupRssMb(pgid: number): number {
  let kb = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid) kb += Number(fields[21]) * PAGE_KB;
    } catch {
      // the process ended between readdir and read
    }
  }
  return kb / 1024;
}

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // already gone
  }
}

const live = new Set<number>();
const liveCgroups = new Set<RunCgroup>();
// A worker that exits normally (Ctrl-C, shutdown) takes its trials' process groups and cgroups with it.
process.on('exit', () => {
  live.forEach(killGroup);
  liveCgroups.forEach((c) => c.killNow());
});

let runs = 0;

export async function runBudgeted(run: BudgetedRun): Promise<RunOutcome> {
  const tailBytes = run.tailBytes ?? 8000;
  const limits = { memoryMb: run.memoryLimitMb, pids: run.pids ?? 1024, cpus: run.cpus ?? 1 };
  const cgroup = RunCgroup.create(`run-${process.pid}-${Date.now().toString(36)}-${++runs}`, limits);
  const sandbox: SandboxSpec = { writable: [run.cwd], network: false, ...run.sandbox, cgroup };
  let prefix: string[];
  try {
    prefix = sandboxPrefix(sandbox, run.cwd);
  } catch (err) {
    cgroup?.remove();
    throw err;
  }
  const started = Date.now();
  const log = createWriteStream(run.logFile);
  const [file, ...args] = [...prefix, ...run.command];
  const child = execa(file!, args, {
    cwd: run.cwd,
    env: run.env,
    extendEnv: false,
    detached: true,
    stdin: 'ignore',
    all: true,
    buffer: false,
    reject: false,
  });
  const pgid = child.pid;
  if (pgid === undefined) {
    const res = await child;
    log.end();
    cgroup?.remove();
    return {
      exitCode: null,
      signal: null,
      timedOut: false,
      overBudget: false,
      memoryExceeded: false,
      wallS: 0,
      logTail: String(res.message ?? 'failed to start'),
    };
  }
  live.add(pgid);
  if (cgroup) liveCgroups.add(cgroup);
  const end = async () => {
    killGroup(pgid);
    if (cgroup) await cgroup.kill();
  };

  let tail = '';
  let lastLine = '';
  child.all?.on('data', (chunk: Buffer) => {
    log.write(chunk);
    tail = (tail + chunk.toString('utf8')).slice(-tailBytes);
    const lines = tail.trimEnd().split('\n');
    lastLine = lines[lines.length - 1] ?? '';
  });

  let timedOut = false;
  let memoryExceeded = false;
  let peakMb = 0;
  const deadline = setTimeout(
    () => {
      timedOut = true;
      void end();
    },
    (run.budgetS + run.graceS) * 1000,
  );
  const watch = setInterval(() => {
    // With a cgroup the kernel enforces the limit (an OOM kill inside the group); without one,
    // the resident memory of the process group is the best measure there is.
    const rss = cgroup ? cgroup.memoryMb() : groupRssMb(pgid);
    peakMb = Math.max(peakMb, rss);
    if (!cgroup && rss > run.memoryLimitMb) {
      memoryExceeded = true;
      killGroup(pgid);
    }
    run.onProgress?.(lastLine);
  }, 1000);
  const onAbort = () => void end();
  run.signal?.addEventListener('abort', onAbort);

  // The command's own exit ends the run, even while something it left holds its output open.
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await exited;
  // bubblewrap's PID namespace takes what the command left with it as it winds down; whatever
  // is still in the cgroup a moment later kept running on its own.
  for (let i = 0; i < 25 && cgroup?.populated(); i++) await new Promise((r) => setTimeout(r, 20));
  const leftovers = cgroup ? cgroup.pids().length : 0;
  await end();
  const result = await child;
  const wallS = (Date.now() - started) / 1000;
  clearTimeout(deadline);
  clearInterval(watch);
  run.signal?.removeEventListener('abort', onAbort);
  live.delete(pgid);
  if (cgroup) liveCgroups.delete(cgroup);
  await new Promise<void>((resolve) => log.end(resolve));

  const notes: string[] = [];
  if (cgroup) {
    const ev = cgroup.events();
    cgroup.remove();
    peakMb = Math.max(peakMb, ev.peakMb);
    if (ev.oomKills > 0) {
      memoryExceeded = true;
      notes.push(`[lineage] killed: the run's cgroup reached its memory limit ${run.memoryLimitMb} MB (${ev.oomKills} OOM kill${ev.oomKills > 1 ? 's' : ''})`);
    }
    if (ev.pidsLimitHits > 0) notes.push(`[lineage] blocked: ${ev.pidsLimitHits} fork(s) refused at the pids limit ${limits.pids}`);
    if (leftovers > 0) notes.push(`[lineage] killed: ${leftovers} process(es) still running in the run's cgroup after its command exited`);
  } else if (memoryExceeded) {
    notes.push(`[lineage] killed: resident memory ${peakMb.toFixed(0)} MB passed the limit ${run.memoryLimitMb} MB`);
  }
  if (timedOut) notes.push(`[lineage] killed: ran past budget ${run.budgetS}s + grace ${run.graceS}s`);
  const note = notes.length ? `\n${notes.join('\n')}` : '';
  return {
    exitCode: result.exitCode ?? null,
    signal: result.signal ?? null,
    timedOut,
    overBudget: timedOut || wallS > run.budgetS,
    memoryExceeded,
    wallS,
    logTail: (tail + note).slice(-tailBytes),
  };
}
