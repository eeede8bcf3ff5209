// What trusted scoring costs at evaluation, side by side in one run: golf-mini's baseline train
// outputs scored by the old evaluator (trial code in its own process, the report its last line)
// and by the trusted scorer with its sandboxed model runner, alternately, same inputs.
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadTask, repoRoot } from '../src/task/spec.js';
import { hashEvaluator } from '../src/task/evaluatorHash.js';
import { ensureTaskData } from '../src/stages/prepareData.js';
import { runBudgeted } from '../src/runner/budgetedProcess.js';
import { trialEnv } from '../src/runner/trialEnv.js';
import { cpuSlots } from '../src/runner/slot.js';
import { collectOutputs } from '../src/scoring/trainOutputs.js';
import { scoreRun, scoringPaths } from '../src/scoring/evaluate.js';
import { writeCheckout } from '../src/recipe/snapshot.js';
import { lineageHome, pythonPath } from '../src/config.js';

const ROUNDS = 3;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

export async function benchScoring(): Promise<string[]> {
  const task = loadTask('golf-mini');
  const python = pythonPath();
  const home = lineageHome();
  const data = await ensureTaskData(task, hashEvaluator(task.evaluatorDir), home, python);
  const work = mkdtempSync(path.join(os.tmpdir(), 'lineage-bench-scoring-'));
  chmodSync(work, 0o755);
  const files = new Map(readdirSync(task.recipeDir).map((f) => [f, readFileSync(path.join(task.recipeDir, f), 'utf8')]));
  const checkout = path.join(work, 'checkout');
  const run = path.join(checkout, 'run');
  mkdirSync(run, { recursive: true });
  writeCheckout(checkout, files);
  const env = trialEnv({
    checkout,
    runDir: run,
    dataDir: path.join(data, 'train'),
    seed: 1,
    device: 'cpu',
    cudaVisibleDevices: null,
    threads: 1,
    preset: 'cpu',
    taskEnv: {},
  });
  const base = { cwd: checkout, env, graceS: 5, memoryLimitMb: 3072 };
  const train = await runBudgeted({
    ...base,
    command: [python, 'train.py'],
    budgetS: 300,
    logFile: path.join(work, 'train.log'),
    sandbox: { writable: [checkout], readable: [path.join(data, 'train')] },
  });
  if (train.exitCode !== 0) throw new Error(`bench scoring: baseline train failed:\n${train.logTail}`);
  const slot = cpuSlots(1, 1)[0]!;
  const where = scoringPaths(work, slot.id, 'bench', 1);
  collectOutputs(run, where.outputs, task.spec.outputs!);
  const oldEvaluator = path.join(repoRoot(), 'test', 'redteam', 'old', 'golf-mini');
  const times = { old: [] as number[], trusted: [] as number[] };
  const scores = { old: 0, trusted: 0 };
  for (let i = 0; i < ROUNDS; i++) {
    const o = await runBudgeted({
      ...base,
      command: [python, path.join(oldEvaluator, 'evaluate.py'), '--checkout', checkout, '--run', run, '--data', data],
      budgetS: 120,
      logFile: path.join(work, 'old.log'),
      sandbox: { writable: [checkout], readable: [oldEvaluator, data] },
    });
    times.old.push(o.wallS);
    scores.old = JSON.parse(o.logTail.trimEnd().split('\n').at(-1)!).metric;
    const t = await scoreRun(python, task, slot, { files, seed: 1, preset: 'cpu', logFile: path.join(work, 'trusted.log') }, where, data, {
      heartbeat: () => undefined,
    });
    if (!t.report || t.exitCode !== 0) throw new Error(`bench scoring: trusted scorer failed: ${t.parseError}\n${t.logTail}`);
    times.trusted.push(t.wallS);
    scores.trusted = t.report.metric!;
  }
  rmSync(work, { recursive: true, force: true });
  const o = median(times.old);
  const t = median(times.trusted);
  return [
    `scoring: golf-mini baseline (seed 1), evaluate wall time, median of ${ROUNDS} alternating runs`,
    `  old (self-reported, one process)           ${o.toFixed(2)} s   val_bpb ${scores.old}`,
    `  trusted (scorer + sandboxed model runner)  ${t.toFixed(2)} s   val_bpb ${scores.trusted}   ${(t / o).toFixed(2)}x the old`,
  ];
}
