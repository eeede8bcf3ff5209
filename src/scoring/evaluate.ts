// Trusted evaluation on a slot: a fresh checkout of the trial's commit and the harness's copy of
// the declared train outputs, both read-only; the task's scorer run as the worker, outside the
// sandbox; the model runner it starts confined by the sandbox with no writable place, no network,
// the run's cgroup (killed whole when scoring ends) and nothing of the held-out data. The report
// comes back on the scorer's own descriptor, and the size the judge checks is every byte the
// runner could read.
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Slot } from '../runner/slot.js';
import type { EvaluateResult } from '../types.js';
import type { LoadedTask } from '../task/spec.js';
import { expandCommand, repoRoot } from '../task/spec.js';
import { SCORING_LIB } from '../task/evaluatorHash.js';
import { writeCheckout } from '../recipe/snapshot.js';
import { endSandbox, sandboxPrefix } from '../runner/sandbox.js';
import { trialEnv } from '../runner/trialEnv.js';
import { folderBytes } from './trainOutputs.js';
import { runScorer } from './scorerProcess.js';
import { parseReport } from './report.js';

interface ScoringPaths {
  outputs: string;
  evalDir: string;
}

/** Where one run's train outputs wait for its evaluation, on the slot's host. */
export function scoringPaths(home: string, slotId: string, trialId: string, seed: number): ScoringPaths {
  const base = path.join(home, 'slots', slotId, `${trialId}.s${seed}`);
  return { outputs: `${base}.outputs`, evalDir: `${base}.eval` };
}

interface ScoreRequest {
  /** The trial's commit: its files, written afresh for this evaluation. */
  files: Map<string, string>;
  seed: number;
  preset: string;
  trainSeconds?: number;
  logFile: string;
}

const withIsolatedPython = (python: string, cmd: string[]) => (cmd[0] === python ? [python, '-I', '-B', ...cmd.slice(1)] : cmd);

export async function scoreRun(
  python: string,
  task: LoadedTask,
  slot: Slot,
  req: ScoreRequest,
  where: ScoringPaths,
  dataDir: string,
  hooks: { heartbeat: (line: string) => void; signal?: AbortSignal },
): Promise<EvaluateResult> {
  const { spec, evaluatorDir } = task;
  const checkout = path.join(where.evalDir, 'checkout');
  rmSync(where.evalDir, { recursive: true, force: true });
  mkdirSync(checkout, { recursive: true, mode: 0o755 });
  writeCheckout(checkout, req.files);
  const readableBytes = folderBytes(checkout) + folderBytes(where.outputs);
  const vars = {
    python,
    root: repoRoot(),
    evaluator: evaluatorDir,
    data: dataDir,
    checkout,
    outputs: where.outputs,
    train_seconds: req.trainSeconds?.toFixed(3),
  };
  const [loader] = expandCommand([spec.evaluate.runner!], vars);
  const runnerEnv = {
    ...trialEnv({
      checkout,
      runDir: where.outputs,
      dataDir: '',
      seed: req.seed,
      device: slot.device,
      cudaVisibleDevices: slot.cudaVisibleDevices,
      threads: slot.threads,
      preset: req.preset,
      taskEnv: spec.env,
    }),
    HOME: '/tmp',
    TMPDIR: '/tmp',
  };
  const prefix = sandboxPrefix(
    {
      writable: [],
      readable: [checkout, where.outputs, evaluatorDir, SCORING_LIB],
      gpus: slot.cudaVisibleDevices,
      readOnlyTmp: true,
      limits: { memoryMb: spec.memory_limit_mb, pids: 256, cpus: slot.threads },
    },
    checkout,
  );
  let outcome;
  let events;
  try {
    outcome = await runScorer({
      command: withIsolatedPython(python, expandCommand(spec.evaluate.scorer!, vars)),
      cwd: where.evalDir,
      env: {
        PATH: '/usr/local/bin:/usr/bin:/bin',
        LANG: 'C.UTF-8',
        HOME: where.evalDir,
        OMP_NUM_THREADS: String(slot.threads),
        OPENBLAS_NUM_THREADS: String(slot.threads),
        LINEAGE_PRESET: req.preset,
        LINEAGE_DEVICE: slot.device,
        LINEAGE_SCORING_LIB: SCORING_LIB,
        LINEAGE_REPORT_FD: '3',
        LINEAGE_EVAL_BUDGET_S: String(spec.evaluate.budget_s),
        LINEAGE_RUNNER_ARGV: JSON.stringify([
          ...prefix,
          python,
          '-I',
          '-B',
          path.join(SCORING_LIB, 'runner.py'),
          '--loader',
          loader!,
          '--checkout',
          checkout,
          '--outputs',
          where.outputs,
        ]),
        LINEAGE_RUNNER_ENV: JSON.stringify(runnerEnv),
      },
      budgetS: spec.evaluate.budget_s,
      graceS: spec.evaluate.grace_s,
      logFile: req.logFile,
      onProgress: hooks.heartbeat,
      signal: hooks.signal,
    });
  } finally {
    events = await endSandbox(prefix);
    rmSync(where.evalDir, { recursive: true, force: true });
  }
  const memoryExceeded = (events?.oomKills ?? 0) > 0;
  const logTail = memoryExceeded
    ? `${outcome.logTail}\n[lineage] killed: the model runner reached its memory limit ${spec.memory_limit_mb} MB`
    : outcome.logTail;
  const report = parseReport(outcome.reportText);
  const { reportText: _, ...run } = outcome;
  const common = { ...run, logTail, memoryExceeded, readableBytes, scoring: 'trusted' as const };
  return typeof report === 'string' ? { ...common, report: null, parseError: report } : { ...common, report };
}
