// The trusted half of an evaluation: the task's scorer, run as the worker (outside the trial
// sandbox: it never imports trial code) with its report on file descriptor 3, which only it
// holds — the model runner it starts gets 0-2 alone. Its stdout and stderr, and the runner's
// stderr, are the log; nothing in them is parsed.
import { execa } from 'execa';
import { createWriteStream } from 'node:fs';
import type { RunOutcome } from '../types.js';

interface ScorerRun {
  command: string[];
  cwd: string;
  env: Record<string, string>;
  budgetS: number;
  graceS: number;
  logFile: string;
  onProgress?: (lastLine: string) => void;
  signal?: AbortSignal;
}

interface ScorerOutcome extends RunOutcome {
  /** What the scorer wrote on its report descriptor ('' when nothing). */
  reportText: string;
}

const MAX_REPORT = 1 << 20;

export async function runScorer(run: ScorerRun): Promise<ScorerOutcome> {
  const started = Date.now();
  const log = createWriteStream(run.logFile);
  const [file, ...args] = run.command;
  const child = execa(file!, args, {
    cwd: run.cwd,
    env: run.env,
    extendEnv: false,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    buffer: false,
    reject: false,
  });
  let tail = '';
  let lastLine = '';
  const onLog = (chunk: Buffer) => {
    log.write(chunk);
    tail = (tail + chunk.toString('utf8')).slice(-8000);
    lastLine = tail.trimEnd().split('\n').at(-1) ?? '';
  };
  child.stdout?.on('data', onLog);
  child.stderr?.on('data', onLog);
  let report = '';
  (child.stdio[3] as NodeJS.ReadableStream | null)?.on('data', (chunk: Buffer) => {
    if (report.length < MAX_REPORT) report += chunk.toString('utf8');
  });
  const kill = () => {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // gone
    }
  };
  let timedOut = false;
  const deadline = setTimeout(
    () => {
      timedOut = true;
      kill();
    },
    (run.budgetS + run.graceS) * 1000,
  );
  const watch = setInterval(() => run.onProgress?.(lastLine), 1000);
  run.signal?.addEventListener('abort', kill);
  const result = await child;
  clearTimeout(deadline);
  clearInterval(watch);
  run.signal?.removeEventListener('abort', kill);
  kill(); // nothing of the scorer outlives it
  await new Promise<void>((resolve) => log.end(resolve));
  const wallS = (Date.now() - started) / 1000;
  if (timedOut) tail += `\n[lineage] killed: evaluation ran past budget ${run.budgetS}s + grace ${run.graceS}s`;
  return {
    exitCode: result.exitCode ?? null,
    signal: result.signal ?? null,
    timedOut,
    overBudget: timedOut || wallS > run.budgetS,
    memoryExceeded: false,
    wallS,
    logTail: tail.slice(-8000),
    reportText: report,
  };
}
