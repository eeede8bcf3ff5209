// train and evaluate run on one slot: a fresh checkout of the trial's commit, the task's
// commands under their budgets, outputs kept on the slot's host between the two stages.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { StageDeps } from '../stageDeps.js';
import type { Slot } from '../runner/slot.js';
import type { BestRef, EvaluateResult, RunOutcome, TrainResult } from '../types.js';
import { loadSnapshot, writeCheckout } from '../recipe/snapshot.js';
import { expandCommand, repoRoot, type LoadedTask } from '../task/spec.js';
import { hashEvaluator } from '../task/evaluatorHash.js';
import { runBudgeted } from '../runner/budgetedProcess.js';
import { throwIfDiskFull } from '../runner/diskSpace.js';
import { trialEnv } from '../runner/trialEnv.js';
import { requireSandbox } from '../runner/sandbox.js';
import { freshCheckout, removeCheckout } from '../runner/checkoutDisk.js';
import { hostName } from '../config.js';
import { ensureTaskData, verifyTaskData } from './prepareData.js';
import { lastJsonLine } from './preflight.js';
import { assertTaskReady } from '../services/hostSetup.js';
import { collectOutputs, type CollectedOutputs } from '../scoring/trainOutputs.js';
import { scoreRun, scoringPaths } from '../scoring/evaluate.js';
import { parseReport } from '../scoring/report.js';

export interface SlotRequest {
  campaignId: string;
  task: string;
  preset: string;
  trialId: string;
  sha: string;
  seed: number;
  evaluatorHash: string;
  /** Set for evaluate: the harness-measured wall time of the train run. */
  trainSeconds?: number;
  /** The recipe version the trial's commit edits. */
  parentSha?: string;
  /** A trial's first train: if the campaign's best is no longer parentSha, answer stale instead of training. */
  rebaseIfStale?: boolean;
}

interface StageHooks {
  attempt: number;
  heartbeat: (detail: string) => void;
  signal?: AbortSignal;
}

/** A run cut short because its worker is shutting down is no outcome of the recipe: retry it. */
function throwIfInterrupted(hooks: StageHooks, stage: string): void {
  if (hooks.signal?.aborted) throw new Error(`${stage} interrupted: the activity was cancelled or its worker is shutting down`);
}

export class EvaluatorMismatchError extends Error {
  override name = 'EvaluatorMismatchError';
}

/** The train outputs are no longer on this slot: the trial must train again (on any slot). */
export class SlotOutputsLostError extends Error {
  override name = 'SlotOutputsLost';
}

function paths(deps: StageDeps, slot: Slot, req: SlotRequest) {
  const checkout = path.join(deps.home, 'slots', slot.id, req.trialId);
  const logs = path.join(deps.home, 'logs', req.campaignId);
  return { checkout, run: path.join(checkout, 'run'), logs };
}

function env(deps: StageDeps, task: LoadedTask, slot: Slot, req: SlotRequest, checkout: string, dataDir: string) {
  const trainDir = path.join(dataDir, 'train');
  return trialEnv({
    checkout,
    runDir: path.join(checkout, 'run'),
    dataDir: existsSync(trainDir) ? trainDir : dataDir,
    seed: req.seed,
    device: slot.device,
    cudaVisibleDevices: slot.cudaVisibleDevices,
    threads: slot.threads,
    preset: req.preset,
    taskEnv: task.spec.env,
  });
}

function verifyEvaluator(task: LoadedTask, pinned: string): void {
  const actual = hashEvaluator(task.evaluatorDir);
  if (actual !== pinned) {
    throw new EvaluatorMismatchError(
      `evaluator of ${task.spec.name} on host ${hostName()} hashes to ${actual.slice(0, 12)}, campaign pinned ${pinned.slice(0, 12)}`,
    );
  }
}

export async function trainOnSlot(deps: StageDeps, slot: Slot, req: SlotRequest, hooks: StageHooks): Promise<TrainResult> {
  const task = deps.task(req.task, req.preset);
  verifyEvaluator(task, req.evaluatorHash);
  await assertTaskReady(task); // a host without the task's packages says which, and retries elsewhere
  const dataDir = await ensureTaskData(task, req.evaluatorHash, deps.home, deps.python);
  const { logs } = paths(deps, slot, req);
  if (!task.dataDir) verifyTaskData(dataDir);
  const sandbox = requireSandbox(); // fail closed: no trial code runs unconfined unless the worker was started unsafe
  mkdirSync(logs, { recursive: true });
  const { seeds } = task.spec.train;
  const where = scoringPaths(deps.home, slot.id, req.trialId, req.seed);
  if (task.spec.evaluate.scorer) rmSync(where.outputs, { recursive: true, force: true });
  // train.seeds > 1: one timed run per seed, each in its own fresh checkout, none seeing another's outputs.
  const runs: { seed: number; outcome: RunOutcome; outputs?: CollectedOutputs }[] = [];
  for (let i = 0; i < seeds; i++) {
    const seed = seeds > 1 ? req.seed * 1000 + i : req.seed;
    const r = await trainOneSeed(deps, task, slot, { ...req, seed }, hooks, dataDir, {
      logFile: path.join(logs, seeds > 1 ? `${req.trialId}.train.seed${i}.log` : `${req.trialId}.train.log`),
      outputs: task.spec.evaluate.scorer ? (seeds > 1 ? path.join(where.outputs, `seed_${i}`) : where.outputs) : null,
    });
    runs.push({ seed, ...r });
    const o = r.outcome;
    if (o.exitCode !== 0 || o.timedOut || o.overBudget || o.memoryExceeded) break; // the run crashed or overran: so did the trial's train
  }
  const outcome = seeds > 1 ? combineSeeds(runs, seeds) : runs[0]!.outcome;
  const base = { ...outcome, slotQueue: slot.queue, host: hostName(), slot: slot.id, attempt: hooks.attempt, sandbox };
  if (!task.spec.evaluate.scorer) return base;
  const outputs = seeds > 1 ? combineOutputs(runs) : runs[0]!.outputs!;
  const refused = outputs.refused.map((r) => `\n[lineage] train output not kept: ${r}`).join('');
  return {
    ...base,
    logTail: base.logTail + refused,
    outputs,
    ...(seeds > 1 ? { seeds: runs.map((r) => ({ seed: r.seed, wallS: r.outcome.wallS, exitCode: r.outcome.exitCode })) } : {}),
  };
}

/** One timed train run in a fresh checkout of the commit; with trusted scoring its declared outputs are copied to `outputs` and the checkout deleted. */
async function trainOneSeed(
  deps: StageDeps,
  task: LoadedTask,
  slot: Slot,
  req: SlotRequest,
  hooks: StageHooks,
  dataDir: string,
  to: { logFile: string; outputs: string | null },
) {
  const { checkout, run } = paths(deps, slot, req);
  freshCheckout(checkout); // a retry (or the next seed) starts from a clean checkout; a size-bounded tmpfs where the worker may mount
  writeCheckout(checkout, await loadSnapshot(deps.store, req.sha));
  mkdirSync(run, { recursive: true });
  mkdirSync(path.join(checkout, '.tmp'), { recursive: true });
  const command = expandCommand(task.spec.train.command, { python: deps.python, root: repoRoot(), evaluator: task.evaluatorDir, data: dataDir, checkout, run });
  // Training sees the interpreter, its checkout (writable) and the train split; never other
  // trials, the state folder or held-out data. A user's data folder (data.from_env) stays
  // visible: upstream recipes score their own validation split. A train command that runs an
  // evaluator-owned launcher ({evaluator} in it) may read the evaluator folder.
  const trainSplit = path.join(dataDir, 'train');
  const readable = [
    task.dataDir ?? (existsSync(trainSplit) ? trainSplit : dataDir),
    ...(task.spec.train.command.some((a) => a.includes('{evaluator}')) ? [task.evaluatorDir] : []),
  ];
  const outcome = await runBudgeted({
    command,
    cwd: checkout,
    env: env(deps, task, slot, req, checkout, dataDir),
    budgetS: task.spec.train.budget_s,
    graceS: task.spec.train.grace_s,
    memoryLimitMb: task.spec.memory_limit_mb,
    cpus: slot.threads,
    logFile: to.logFile,
    sandbox: { writable: [checkout], readable, gpus: slot.cudaVisibleDevices },
    onProgress: (line) => hooks.heartbeat(line),
    signal: hooks.signal,
  });
  throwIfInterrupted(hooks, 'train');
  // The host's disk, not the run's own size-capped checkout: a recipe that fills its checkout crashed.
  throwIfDiskFull(deps.home, outcome);
  if (!to.outputs) return { outcome };
  // Trusted scoring evaluates the declared outputs only: copy them out, then drop everything else train wrote.
  const outputs = collectOutputs(run, to.outputs, task.spec.outputs!);
  removeCheckout(checkout);
  return { outcome, outputs };
}

/** The seeds' runs as one train: times summed, the first failure (crash, overrun, memory) is the train's. */
export function combineSeeds(runs: { seed: number; outcome: RunOutcome }[], seeds: number): RunOutcome {
  const last = runs.at(-1)!.outcome;
  const tail = runs.map(
    (r, i) =>
      `[lineage] seed ${i + 1} of ${seeds} (LINEAGE_SEED=${r.seed}): ${r.outcome.wallS.toFixed(2)} s, exit ${r.outcome.exitCode ?? r.outcome.signal}${r.outcome.overBudget ? ', over its budget' : ''}`,
  );
  const stopped = runs.length < seeds ? [`[lineage] stopped after seed ${runs.length} of ${seeds}: it failed, so the train did`] : [];
  return {
    exitCode: last.exitCode,
    signal: last.signal,
    timedOut: last.timedOut,
    overBudget: last.overBudget,
    memoryExceeded: last.memoryExceeded,
    wallS: runs.reduce((a, r) => a + r.outcome.wallS, 0),
    logTail: `${last.logTail.slice(-6000)}\n${[...tail, ...stopped].join('\n')}`,
  };
}

export function combineOutputs(runs: { outputs?: CollectedOutputs }[]): CollectedOutputs {
  return runs.reduce<CollectedOutputs>(
    (a, r, i) => ({
      files: [...a.files, ...r.outputs!.files.map((f) => `seed_${i}/${f}`)],
      bytes: a.bytes + r.outputs!.bytes,
      refused: [...a.refused, ...r.outputs!.refused.map((f) => `seed_${i}/${f}`)],
    }),
    { files: [], bytes: 0, refused: [] },
  );
}

export async function evaluateOnSlot(deps: StageDeps, slot: Slot, req: SlotRequest, hooks: StageHooks): Promise<EvaluateResult> {
  const task = deps.task(req.task, req.preset);
  verifyEvaluator(task, req.evaluatorHash);
  const dataDir = await ensureTaskData(task, req.evaluatorHash, deps.home, deps.python);
  if (!task.dataDir) verifyTaskData(dataDir); // the held-out split the evaluator scores on is the one prepared
  const { checkout, run, logs } = paths(deps, slot, req);
  if (task.spec.evaluate.scorer) {
    const where = scoringPaths(deps.home, slot.id, req.trialId, req.seed);
    if (!existsSync(where.outputs)) throw new SlotOutputsLostError(`train outputs ${where.outputs} are gone: train must run again`);
    const logFile = path.join(logs, `${req.trialId}.eval.log`);
    const result = await scoreRun(
      deps.python,
      task,
      slot,
      { files: await loadSnapshot(deps.store, req.sha), seed: req.seed, preset: req.preset, trainSeconds: req.trainSeconds, logFile },
      where,
      dataDir,
      hooks,
    );
    throwIfInterrupted(hooks, 'evaluate');
    rmSync(where.outputs, { recursive: true, force: true });
    return result;
  }
  if (!existsSync(checkout)) throw new SlotOutputsLostError(`checkout ${checkout} is gone: train must run again on this slot`);
  const command = expandCommand(task.spec.evaluate.command!, {
    python: deps.python,
    root: repoRoot(),
    evaluator: task.evaluatorDir,
    data: dataDir,
    checkout,
    run,
    train_seconds: req.trainSeconds?.toFixed(3),
  });
  if (task.spec.size) command.push('--cap', String(task.spec.size.cap_bytes));
  const outcome = await runBudgeted({
    command,
    cwd: checkout,
    env: env(deps, task, slot, req, checkout, dataDir),
    budgetS: task.spec.evaluate.budget_s,
    graceS: task.spec.evaluate.grace_s,
    memoryLimitMb: task.spec.memory_limit_mb,
    logFile: path.join(logs, `${req.trialId}.eval.log`),
    cpus: slot.threads,
    sandbox: { writable: [checkout], readable: [task.evaluatorDir, dataDir], gpus: slot.cudaVisibleDevices },
    onProgress: (line) => hooks.heartbeat(line),
    signal: hooks.signal,
  });
  throwIfInterrupted(hooks, 'evaluate');
  removeCheckout(checkout); // the full logs stay under logs/
  // Self-reported: the report is whatever that process printed last, trial code included.
  const raw = lastJsonLine(outcome.logTail);
  if (!raw) return { ...outcome, scoring: 'self-reported', report: null, parseError: 'evaluator printed no JSON report line' };
  const report = parseReport(JSON.stringify(raw));
  return typeof report === 'string'
    ? { ...outcome, scoring: 'self-reported', report: null, parseError: report }
    : { ...outcome, scoring: 'self-reported', report };
}

/** The campaign's best as MongoDB holds it (the record stage moves it, the judge reads it). */
export async function campaignBest(deps: StageDeps, campaignId: string): Promise<BestRef | null> {
  const c = await deps.store.campaigns.findOne({ _id: campaignId }, { projection: { best: 1 } });
  return c?.best ? { sha: c.best.sha, index: c.best.index } : null;
}
