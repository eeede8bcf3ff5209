// What a host must have before a service or a trial starts, declared once and checked the same
// way everywhere: the trial sandbox, each task's `requires` (task.yaml), the test tools.
//
// The checks (a file exists, a program is on PATH, the recipe Python imports a module) are the
// truth; Debian packages are how a missing piece is installed. As root with apt-get, missing
// pieces are installed in one apt-get call; otherwise one message lists the exact command, and
// nothing starts. A stamp keyed by what was checked and dpkg's status file makes the second run free.
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';

export interface Requirements {
  /** Debian packages that provide the pieces below (what apt-get installs). */
  debian: string[];
  /** Modules the recipe Python must import. */
  python: string[];
  /** Paths that must exist ({root} is this checkout). */
  files: string[];
  /** Programs that must be on PATH. */
  commands: string[];
}

/** A named group of requirements: "the trial sandbox", "task golf-mini", "the browser tests". */
export interface Need {
  what: string;
  requires: Partial<Requirements>;
}

interface Missing {
  what: string;
  piece: string;
}

/** The trial sandbox (bubblewrap); a worker without it refuses trials unless told otherwise. */
export const SANDBOX_NEED: Need = { what: 'the trial sandbox', requires: { debian: ['bubblewrap'], commands: ['bwrap'] } };

/** The optuna proposer's library, for the control host of a campaign that uses it. */
const OPTUNA_NEED: Need = { what: 'the optuna proposer', requires: { debian: ['python3-optuna'], python: ['optuna'] } };

/** What `npm test` needs beyond the tasks: headless Chromium, a compose client, Optuna. */
export const TEST_NEEDS: Need[] = [
  OPTUNA_NEED,
  { what: 'the browser tests', requires: { debian: ['chromium'], files: ['/usr/bin/chromium'] } },
  { what: 'the docker-compose.yml check', requires: { debian: ['docker-compose'], commands: ['docker-compose'] } },
];

export class MissingRequirementsError extends Error {
  override name = 'MissingRequirementsError';
  constructor(
    readonly missing: Missing[],
    readonly installCommand: string | null,
    hint: string,
  ) {
    super(
      [
        'lineage: this host lacks what it needs:',
        ...missing.map((m) => `  - ${m.what}: ${m.piece}`),
        installCommand ? `Install it with:\n  ${installCommand}` : '',
        hint,
      ]
        .filter(Boolean)
        .join('\n'),
    );
  }
}

interface CheckContext {
  python: string;
  root: string;
}

function expand(p: string, ctx: CheckContext): string {
  return p.replaceAll('{root}', ctx.root);
}

function onPath(cmd: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => {
    if (!dir) return false;
    try {
      return (statSync(path.join(dir, cmd)).mode & 0o111) !== 0;
    } catch {
      return false;
    }
  });
}

async function importable(python: string, modules: string[]): Promise<Set<string>> {
  if (!modules.length) return new Set();
  // One interpreter start for all modules: find_spec does not run the module, the import does.
  const code = 'import importlib, sys\nfor m in sys.argv[1:]:\n    try:\n        importlib.import_module(m)\n        print(m)\n    except Exception:\n        pass';
  const r = await execa(python, ['-c', code, ...modules], { reject: false, timeout: 180_000 });
  return new Set(r.exitCode === 0 || r.stdout ? r.stdout.split('\n').map((l) => l.trim()) : []);
}

/** What is missing for these needs on this host (no side effects). */
export async function findMissing(needs: Need[], ctx: CheckContext): Promise<Missing[]> {
  const modules = [...new Set(needs.flatMap((n) => n.requires.python ?? []))];
  const imported = await importable(ctx.python, modules);
  const missing: Missing[] = [];
  for (const n of needs) {
    for (const f of n.requires.files ?? []) if (!existsSync(expand(f, ctx))) missing.push({ what: n.what, piece: `file ${expand(f, ctx)}` });
    for (const c of n.requires.commands ?? []) if (!onPath(c)) missing.push({ what: n.what, piece: `program ${c} (not on PATH)` });
    for (const m of n.requires.python ?? []) if (!imported.has(m)) missing.push({ what: n.what, piece: `Python module ${m} (${ctx.python} cannot import it)` });
  }
  return missing;
}

function debianOf(needs: Need[], missing: Missing[]): string[] {
  const short = new Set(missing.map((m) => m.what));
  return [...new Set(needs.filter((n) => short.has(n.what)).flatMap((n) => n.requires.debian ?? []))];
}

export function aptCommand(packages: string[], root: boolean): string {
  const sudo = root ? '' : 'sudo ';
  return `${sudo}apt-get update && ${sudo}env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${packages.join(' ')}`;
}

function stampKey(needs: Need[], ctx: CheckContext): string {
  return createHash('sha256').update(JSON.stringify([ctx.python, ctx.root, needs])).digest('hex').slice(0, 16);
}

/** dpkg's status file changes whenever a package is installed or removed. */
function dpkgState(): string {
  try {
    return String(statSync('/var/lib/dpkg/status').mtimeMs);
  } catch {
    return 'no-dpkg';
  }
}

interface EnsureNeedsOptions extends CheckContext {
  /** Folder for the stamp file. */
  stampDir: string;
  /** Install what is missing when this process may (root with apt-get); default true. */
  install?: boolean;
  log?: (line: string) => void;
}

/**
 * Makes sure every need is met, installing Debian packages as root; throws
 * MissingRequirementsError (listing each piece and the command) when it cannot.
 */
export async function ensureNeeds(needs: Need[], o: EnsureNeedsOptions): Promise<void> {
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const stampFile = path.join(o.stampDir, 'requirements.stamp');
  const key = `${stampKey(needs, o)} ${dpkgState()}`;
  const stamps = new Set((await readFile(stampFile, 'utf8').catch(() => '')).split('\n').filter(Boolean));
  if (stamps.has(key)) return;

  let missing = await findMissing(needs, o);
  if (missing.length) {
    const packages = debianOf(needs, missing);
    const root = process.getuid?.() === 0;
    const canInstall = (o.install ?? true) && root && onPath('apt-get') && packages.length > 0;
    if (!canInstall) {
      throw new MissingRequirementsError(
        missing,
        packages.length ? aptCommand(packages, root) : null,
        o.python === '/usr/bin/python3' ? '' : `(LINEAGE_PYTHON=${o.python}: install Python modules into that interpreter, e.g. ${o.python} -m pip install …)`,
      );
    }
    const t0 = Date.now();
    log(`provision: installing ${packages.join(' ')} with apt-get (for ${[...new Set(missing.map((m) => m.what))].join(', ')}) ...`);
    const env = { DEBIAN_FRONTEND: 'noninteractive' };
    const up = await execa('apt-get', ['update'], { reject: false, all: true, env, timeout: 600_000 });
    const inst = await execa('apt-get', ['install', '-y', '--no-install-recommends', ...packages], { reject: false, all: true, env, timeout: 1_800_000 });
    if (up.exitCode !== 0 || inst.exitCode !== 0) {
      const out = `${up.all ?? ''}\n${inst.all ?? ''}`.split('\n').slice(-20).join('\n');
      throw new Error(`lineage: \`${aptCommand(packages, true)}\` failed:\n${out}`);
    }
    missing = await findMissing(needs, o);
    if (missing.length) throw new MissingRequirementsError(missing, null, `They are still missing after installing ${packages.join(' ')}.`);
    log(`provision: installed ${packages.join(' ')} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  }
  await mkdir(o.stampDir, { recursive: true });
  stamps.add(`${stampKey(needs, o)} ${dpkgState()}`);
  await writeFile(stampFile, `${[...stamps].slice(-50).join('\n')}\n`);
}
