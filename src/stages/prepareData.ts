// A task's data is prepared once per host, into a folder named by the evaluator's hash.
// The prepare command writes to a temporary folder that is renamed into place when done,
// so concurrent slots and processes never see half a data set.
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { LoadedTask } from '../task/spec.js';
import { expandCommand, repoRoot } from '../task/spec.js';
import { runBudgeted } from '../runner/budgetedProcess.js';

const pending = new Map<string, Promise<string>>();

export function ensureTaskData(task: LoadedTask, evaluatorHash: string, home: string, python: string): Promise<string> {
  if (task.dataDir) return Promise.resolve(task.dataDir); // the user's own data folder (data.from_env)
  const dir = path.join(home, 'data', `${task.spec.name}-${evaluatorHash.slice(0, 12)}`);
  if (!task.spec.prepare || existsSync(dir)) {
    mkdirSync(dir, { recursive: true });
    return Promise.resolve(dir);
  }
  let p = pending.get(dir);
  if (!p) {
    p = prepare(task, dir, python).finally(() => pending.delete(dir));
    pending.set(dir, p);
  }
  return p;
}

async function prepare(task: LoadedTask, dir: string, python: string): Promise<string> {
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const command = expandCommand(task.spec.prepare!.command, { python, root: repoRoot(), evaluator: task.evaluatorDir, data: tmp });
  const out = await runBudgeted({
    command,
    cwd: tmp,
    env: { PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'C.UTF-8', HOME: tmp, TMPDIR: tmp, PYTHONDONTWRITEBYTECODE: '1' },
    budgetS: 1800,
    graceS: 10,
    memoryLimitMb: 16384,
    logFile: path.join(tmp, "prepare.log"),
    sandbox: { writable: [tmp] },
  });
  if (out.exitCode !== 0) {
    rmSync(tmp, { recursive: true, force: true });
    throw new Error(`preparing data for ${task.spec.name} failed (exit ${out.exitCode ?? out.signal}):\n${out.logTail.slice(-2000)}`);
  }
  try {
    renameSync(tmp, dir);
  } catch (err) {
    if (!existsSync(dir)) throw err; // another process won the race: its copy is as good
    rmSync(tmp, { recursive: true, force: true });
  }
  return dir;
}
