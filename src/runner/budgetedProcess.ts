// Runs untrusted recipe code: a clean environment, a sandbox (sandbox.ts), its own process
// group (killed whole at budget + grace, or when its resident memory passes the limit).
import { execa } from 'execa';
import { createWriteStream, readdirSync, readFileSync } from 'node:fs';
import type { RunOutcome } from '../types.js';
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
  /** Default: only cwd is writable, network off, nothing hidden. */
  sandbox?: Partial<SandboxSpec>;
}

const PAGE_KB = 4;

/** Resident memory in MB of every process in the group. */
function groupRssMb(pgid: number): number {
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
// A worker that exits normally (Ctrl-C, shutdown) takes its trials' process groups with it.
process.on('exit', () => live.forEach(killGroup));

export async function runBudgeted(run: BudgetedRun): Promise<RunOutcome> {
  const tailBytes = run.tailBytes ?? 8000;
  const started = Date.now();
  const log = createWriteStream(run.logFile);
  const sandbox: SandboxSpec = { writable: [run.cwd], hidden: [], reveal: [], network: false, ...run.sandbox };
  const [file, ...args] = [...sandboxPrefix(sandbox), ...run.command];
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
    return { exitCode: null, signal: null, timedOut: false, overBudget: false, memoryExceeded: false, wallS: 0, logTail: String(res.message ?? 'failed to start') };
  }
  live.add(pgid);

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
  const deadline = setTimeout(() => {
    timedOut = true;
    killGroup(pgid);
  }, (run.budgetS + run.graceS) * 1000);
  const watch = setInterval(() => {
    const rss = groupRssMb(pgid);
    peakMb = Math.max(peakMb, rss);
    if (rss > run.memoryLimitMb) {
      memoryExceeded = true;
      killGroup(pgid);
    }
    run.onProgress?.(lastLine);
  }, 1000);
  const onAbort = () => killGroup(pgid);
  run.signal?.addEventListener('abort', onAbort);

  const result = await child;
  clearTimeout(deadline);
  clearInterval(watch);
  run.signal?.removeEventListener('abort', onAbort);
  killGroup(pgid); // stragglers the recipe left behind
  live.delete(pgid);
  await new Promise<void>((resolve) => log.end(resolve));

  const wallS = (Date.now() - started) / 1000;
  let note = '';
  if (timedOut) note = `\n[lineage] killed: process group ran past budget ${run.budgetS}s + grace ${run.graceS}s`;
  if (memoryExceeded) note = `\n[lineage] killed: resident memory ${peakMb.toFixed(0)} MB passed the limit ${run.memoryLimitMb} MB`;
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
