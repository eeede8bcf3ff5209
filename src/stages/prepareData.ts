// A task's data is prepared once per host, into a folder named by the evaluator's hash.
// The prepare command writes to a temporary folder that is renamed into place when done,
// so concurrent slots and processes never see half a data set. Once prepared, the folder belongs
// to the worker (trials mount it read-only) and its sha256 is pinned beside it; train and
// evaluate check the pin, so prepared data changed since, by anything, is never trained or scored on.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { LoadedTask } from '../task/spec.js';
import { expandCommand, repoRoot } from '../task/spec.js';
import { runBudgeted } from '../runner/budgetedProcess.js';
import { reclaim } from '../runner/sandbox.js';

/** sha256 over every file's relative path and content, in sorted order. */
function hashTree(dir: string): string {
  const h = createHash('sha256');
  const walk = (rel: string) => {
    for (const name of readdirSync(path.join(dir, rel)).sort()) {
      const r = path.join(rel, name);
      const st = statSync(path.join(dir, r));
      if (st.isDirectory()) walk(r);
      else h.update(`${r}\0${st.size}\0`).update(readFileSync(path.join(dir, r)));
    }
  };
  walk('');
  return h.digest('hex');
}

const pinFile = (dir: string) => `${dir}.sha256`;

/** Throws unless the prepared data folder still hashes to the sha256 pinned when it was prepared. */
export function verifyTaskData(dir: string): void {
  if (!existsSync(pinFile(dir))) return; // a task without a prepare step has nothing to pin
  const pinned = readFileSync(pinFile(dir), 'utf8').trim();
  const actual = hashTree(dir);
  if (actual !== pinned)
    throw new Error(
      `prepared data ${dir} hashes to ${actual.slice(0, 12)}, pinned ${pinned.slice(0, 12)} when prepared: delete the folder to prepare it again`,
    );
}

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
  // The trusted prepare step reads the raw sources its command names and the system's shared
  // folders (an R or Perl runtime lives under /usr/lib, /usr/share and /etc); nothing of Lineage's state.
  const sources = command.filter((a) => path.isAbsolute(a) && existsSync(a) && a !== tmp && !a.startsWith(`${tmp}/`));
  sources.push(...['/usr/lib', '/usr/share', '/etc'].filter((d) => existsSync(d)));
  const out = await runBudgeted({
    command,
    cwd: tmp,
    env: { PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'C.UTF-8', HOME: tmp, TMPDIR: tmp, PYTHONDONTWRITEBYTECODE: '1' },
    budgetS: 1800,
    graceS: 10,
    memoryLimitMb: 16384,
    logFile: path.join(tmp, 'prepare.log'),
    sandbox: { writable: [tmp], readable: [task.evaluatorDir, ...sources] },
  });
  if (out.exitCode !== 0) {
    rmSync(tmp, { recursive: true, force: true });
    throw new Error(`preparing data for ${task.spec.name} failed (exit ${out.exitCode ?? out.signal}):\n${out.logTail.slice(-2000)}`);
  }
  reclaim(tmp);
  const digest = hashTree(tmp);
  try {
    renameSync(tmp, dir);
    writeFileSync(pinFile(dir), digest);
  } catch (err) {
    if (!existsSync(dir)) throw err; // another process won the race: its copy is as good
    rmSync(tmp, { recursive: true, force: true });
  }
  return dir;
}
