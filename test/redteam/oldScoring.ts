// The scoring design before trusted scoring, kept only as the control of the scoring red team:
// train and the old evaluator ran in one checkout (train's own), the evaluator imported trial
// code in its own process, and the report was the last JSON line that process printed. The
// sandbox is today's, so a control isolates the scoring change. The old judge did not look at
// the evaluator's exit status or memory, and kept on one seed by min_delta alone.
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { applyEdits } from '../../src/recipe/edits.js';
import { runBudgeted } from '../../src/runner/budgetedProcess.js';
import { trialEnv } from '../../src/runner/trialEnv.js';
import { lastJsonLine } from '../../src/stages/preflight.js';
import { toReport } from '../../src/scoring/report.js';
import type { EvalReport, Edit, RunOutcome } from '../../src/types.js';

const PY = '/usr/bin/python3';

export interface OldRun {
  train: RunOutcome;
  evaluate: RunOutcome;
  report: EvalReport | null;
}

export async function oldPipeline(o: {
  recipeDir: string;
  oldEvaluatorDir: string;
  edits: Edit[];
  dataDir: string;
  evaluateArgs: (checkout: string, run: string) => string[];
  seed?: number;
}): Promise<OldRun> {
  const checkout = mkdtempSync(path.join(os.tmpdir(), 'lineage-old-scoring-'));
  chmodSync(checkout, 0o755);
  const files = new Map(readdirSync(o.recipeDir).map((f) => [f, readFileSync(path.join(o.recipeDir, f), 'utf8')]));
  for (const [rel, content] of applyEdits(files, o.edits)) writeFileSync(path.join(checkout, rel), content);
  const run = path.join(checkout, 'run');
  mkdirSync(run);
  mkdirSync(path.join(checkout, '.tmp'));
  const env = trialEnv({
    checkout,
    runDir: run,
    dataDir: path.join(o.dataDir, 'train'),
    seed: o.seed ?? 1,
    device: 'cpu',
    cudaVisibleDevices: null,
    threads: 1,
    preset: 'cpu',
    taskEnv: {},
  });
  const base = { cwd: checkout, env, graceS: 5, memoryLimitMb: 3072 };
  const train = await runBudgeted({
    ...base,
    command: [PY, 'train.py'],
    budgetS: 180,
    logFile: path.join(checkout, '.tmp', 'train.log'),
    sandbox: { writable: [checkout], readable: [path.join(o.dataDir, 'train')] },
  });
  const evaluate = await runBudgeted({
    ...base,
    command: [PY, path.join(o.oldEvaluatorDir, 'evaluate.py'), ...o.evaluateArgs(checkout, run)],
    budgetS: 120,
    logFile: path.join(checkout, '.tmp', 'eval.log'),
    sandbox: { writable: [checkout], readable: [o.oldEvaluatorDir, o.dataDir] },
  });
  const raw = lastJsonLine(evaluate.logTail);
  const report = raw ? toReport(raw) : null;
  return { train, evaluate, report: typeof report === 'string' ? null : report };
}

/** The old judge's answer for one run: the evaluator's label, else keep when better than best by more than minDelta. */
export function oldVerdict(r: OldRun, best: number, minDelta: number, direction: 'minimize' | 'maximize'): string {
  if (r.train.exitCode !== 0) return 'crash';
  if (!r.report) return 'crash';
  if (r.report.label) return r.report.label;
  if (r.report.metric === null) return 'diverged';
  const gain = direction === 'minimize' ? best - r.report.metric : r.report.metric - best;
  return gain > minDelta ? 'keep' : 'discard';
}
