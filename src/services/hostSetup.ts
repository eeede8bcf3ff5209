// The one provisioning path: `npm start`, `npm test`, `lineage setup` and the workers all come
// here, so what one of them needs, every one of them installs or names the same way.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { lineageHome, pythonPath } from '../config.js';
import { parseTaskSpec, repoRoot, tasksRoot, type LoadedTask } from '../task/spec.js';
import { ensureNeeds, SANDBOX_NEED, TEST_NEEDS, MissingRequirementsError, type Need } from './requirements.js';
import { binDirOf } from './provision.js';

export function taskNeed(task: Pick<LoadedTask, 'spec'>): Need {
  return { what: `task ${task.spec.name}`, requires: task.spec.requires };
}

/** A task's needs from its spec alone (an upstream task's folders need not be set to provision it). */
export function specNeed(nameOrDir: string): Need {
  const file = path.join(nameOrDir.includes('/') ? path.resolve(nameOrDir) : path.join(tasksRoot(), nameOrDir), 'task.yaml');
  return taskNeed({ spec: parseTaskSpec(readFileSync(file, 'utf8'), file) });
}

/** Every task folder shipped under tasks/ (and, for tests, the fixtures under test/fixtures/tasks). */
export function shippedTaskDirs(withFixtures: boolean): string[] {
  const roots = [path.join(repoRoot(), 'tasks'), ...(withFixtures ? [path.join(repoRoot(), 'test', 'fixtures', 'tasks')] : [])];
  return roots.flatMap((r) =>
    existsSync(r)
      ? readdirSync(r)
          .map((n) => path.join(r, n))
          .filter((d) => existsSync(path.join(d, 'task.yaml')))
      : [],
  );
}

/** True unless the user opted out of the trial sandbox (`--no-sandbox` / LINEAGE_SANDBOX=off). */
export function sandboxWanted(): boolean {
  return process.env.LINEAGE_SANDBOX !== 'off';
}

export interface SetupOptions {
  /** Task names or folders whose `requires` must be met. */
  tasks: string[];
  /** Also what `npm test` needs (chromium, a compose client). */
  tests?: boolean;
  /** Install what is missing (as root); false only checks. Default true. */
  install?: boolean;
  log?: (line: string) => void;
}

export function needsFor(o: Pick<SetupOptions, 'tasks' | 'tests'>): Need[] {
  return [...(sandboxWanted() ? [SANDBOX_NEED] : []), ...o.tasks.map(specNeed), ...(o.tests ? TEST_NEEDS : [])];
}

/** Installs (as root) or names (otherwise) what this host lacks; throws before anything starts. */
export async function setupHost(o: SetupOptions): Promise<void> {
  await ensureNeeds(needsFor(o), { python: pythonPath(), root: repoRoot(), stampDir: binDirOf(lineageHome()), install: o.install, log: o.log });
  if (o.install !== false) letTrialUserTraverse([repoRoot(), lineageHome()], o.log ?? ((l) => process.stderr.write(`${l}\n`)));
}

/**
 * Trials run as an unprivileged user that must pass through the folders above the checkout and
 * the state folder (a clone under /root is mode 700): as root, give those parents o+x (pass
 * through, not list), and say so.
 */
function letTrialUserTraverse(dirs: string[], log: (line: string) => void): void {
  if (process.getuid?.() !== 0 || !sandboxWanted()) return;
  for (const dir of dirs) {
    mkdirSync(dir, { recursive: true });
    for (let p = path.resolve(dir); p !== '/'; p = path.dirname(p)) {
      const mode = statSync(p).mode;
      if (mode & 0o001) continue;
      chmodSync(p, (mode & 0o7777) | 0o001);
      log(`provision: gave ${p} o+x so the trial user can reach ${dir}`);
    }
  }
}

const checked = new Set<string>();

/**
 * A worker or a campaign setup about to use a task: its requirements must be met on this host.
 * Only checks (installing is `lineage setup`'s job); the error names the task, the piece and the fix.
 */
export async function assertTaskReady(task: LoadedTask): Promise<void> {
  if (checked.has(task.dir)) return;
  try {
    await ensureNeeds([taskNeed(task)], { python: pythonPath(), root: repoRoot(), stampDir: binDirOf(lineageHome()), install: false });
  } catch (err) {
    if (err instanceof MissingRequirementsError) {
      throw new MissingRequirementsError(err.missing, err.installCommand, `or, on this host: lineage setup --task ${task.spec.name}`);
    }
    throw err;
  }
  checked.add(task.dir);
}
