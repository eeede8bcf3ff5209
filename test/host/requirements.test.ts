// The provisioning path must install everything the shipped tasks and the tests use. This test
// maps each system file, program and Python module they use to the Debian package that owns it
// (dpkg -S) and fails when that package is neither provisioned (or pulled in by a provisioned
// package) nor part of every Debian system (Essential / required).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../src/task/spec.js';
import { SANDBOX_NEED, TEST_NEEDS, findMissing, aptCommand, type Need } from '../../src/services/requirements.js';
import { needsFor, shippedTaskDirs, specNeed } from '../../src/services/hostSetup.js';
import { pythonPath } from '../../src/config.js';

const root = repoRoot();
const sh = (cmd: string, args: string[]) => {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
};

/** The Debian package that owns a path (following links), or null. */
function owner(p: string): string | null {
  for (const candidate of [p, existsSync(p) ? realpathSync(p) : p]) {
    const out = sh('dpkg-query', ['-S', candidate]);
    const name = out.split('\n')[0]?.split(':')[0]?.split(',')[0]?.trim();
    if (name) return name;
  }
  return null;
}

function which(cmd: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const p = path.join(dir, cmd);
    if (dir && existsSync(p) && (statSync(p).mode & 0o111) !== 0) return p;
  }
  return null;
}

interface Installed {
  depends: string[][];
  base: boolean;
}

/** dpkg's database, read once: installed packages, their dependencies, and whether every system has them. */
function installedPackages(): Map<string, Installed> {
  const map = new Map<string, Installed>();
  for (const block of readFileSync('/var/lib/dpkg/status', 'utf8').split('\n\n')) {
    const field = (name: string) => block.match(new RegExp(`^${name}: (.*(?:\n .*)*)`, 'm'))?.[1] ?? '';
    if (!/install ok installed/.test(field('Status'))) continue;
    const depends = [field('Depends'), field('Pre-Depends')]
      .join(',')
      .split(',')
      .map((alt) =>
        alt
          .split('|')
          .map((d) => d.trim().split(/[\s:(]/)[0]!)
          .filter(Boolean),
      )
      .filter((alt) => alt.length);
    map.set(field('Package'), { depends, base: field('Essential') === 'yes' || field('Priority') === 'required' });
  }
  return map;
}
const installed = installedPackages();

/** The packages `pkgs` install: themselves and their installed dependencies, recursively. */
function closure(pkgs: string[]): Set<string> {
  const seen = new Set<string>();
  const queue = [...pkgs];
  while (queue.length) {
    const p = queue.pop()!;
    if (seen.has(p)) continue;
    seen.add(p);
    for (const alt of installed.get(p)?.depends ?? []) {
      const choice = alt.find((d) => installed.has(d)); // whichever alternative is installed
      if (choice) queue.push(choice);
    }
  }
  return seen;
}

function baseSystem(pkg: string): boolean {
  return installed.get(pkg)?.base ?? false;
}

function moduleFile(mod: string): string | null {
  const out = sh(pythonPath(), ['-c', `import ${mod}, os; print(os.path.realpath(${mod}.__file__))`]);
  return out || null;
}

/** System paths and programs named literally in tasks' specs, recipes, evaluators and the tests. */
function referenced(): { paths: Set<string>; programs: Set<string> } {
  const paths = new Set<string>();
  const programs = new Set<string>();
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((n) => {
      const p = path.join(dir, n);
      if (n === 'node_modules' || n === 'histories') return [];
      return statSync(p).isDirectory() ? walk(p) : /\.(ts|py|ya?ml|sh|mjs)$/.test(n) ? [p] : [];
    });
  for (const f of [...walk(path.join(root, 'tasks')), ...walk(path.join(root, 'test'))]) {
    if (f.endsWith('requirements.test.ts')) continue;
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/\/usr\/(?:share|lib|bin|local\/bin)\/[A-Za-z0-9_.+\/-]*[A-Za-z0-9]/g)) paths.add(m[0]);
    if (f.endsWith('.py')) for (const m of text.matchAll(/subprocess\.\w+\(\s*\[\s*["']([A-Za-z][\w.+-]*)["']/g)) programs.add(m[1]!);
  }
  return { paths, programs };
}

function allNeeds(): Need[] {
  return needsFor({ tasks: shippedTaskDirs(true), tests: true });
}

/** What each need uses, as packages that must be provisioned (empty when all is well). */
function unprovisioned(needs: Need[], extra: { paths: Iterable<string>; programs: Iterable<string> }): string[] {
  const provisioned = closure(needs.flatMap((n) => n.requires.debian ?? []));
  const problems: string[] = [];
  const check = (what: string, p: string | null) => {
    if (!p) return problems.push(`${what}: not found on this host`);
    const pkg = owner(p);
    if (pkg && !provisioned.has(pkg) && !baseSystem(pkg))
      problems.push(`${what} (${p}) comes from Debian package ${pkg}, which the provisioning path does not install`);
  };
  for (const n of needs) {
    for (const f of n.requires.files ?? []) {
      const p = f.replaceAll('{root}', root);
      if (p.startsWith(path.join(root, 'node_modules'))) continue; // npm install's part: checked below
      check(`${n.what} file ${p}`, existsSync(p) ? p : null);
    }
    for (const c of n.requires.commands ?? []) check(`${n.what} program ${c}`, which(c));
    for (const m of n.requires.python ?? []) check(`${n.what} Python module ${m}`, moduleFile(m));
  }
  for (const p of extra.paths) if (existsSync(p)) check(`referenced path`, p);
  for (const c of extra.programs) check(`program ${c} run by a task`, which(c));
  return problems;
}

describe('provisioning covers what tasks and tests use', function () {
  this.timeout(120_000);

  it('every Debian package a shipped task or a test needs is installed by the provisioning path', function () {
    assert.deepEqual(unprovisioned(allNeeds(), referenced()), []);
  });

  it('the check catches a task whose data package is not declared (control)', function () {
    const fashion = '/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz';
    const undeclared: Need = { what: 'task careless', requires: { debian: ['python3-numpy'], files: [fashion], python: ['numpy'] } };
    const problems = unprovisioned([undeclared], { paths: [], programs: [] });
    assert.equal(problems.length, 1, problems.join('\n'));
    assert.match(problems[0]!, /dataset-fashion-mnist, which the provisioning path does not install/);
    // and a program a task's code runs without declaring it
    assert.match(unprovisioned([], { paths: [], programs: ['Rscript'] }).join('\n'), /r-base-core/);
  });

  it('files a task takes from npm are in package.json dependencies', function () {
    const deps = Object.keys(JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).dependencies);
    for (const dir of shippedTaskDirs(true)) {
      for (const f of (specNeed(dir).requires.files ?? []).filter((x) => x.startsWith('{root}/node_modules/'))) {
        const pkg = f
          .split('/')
          .slice(2, f.includes('/@') ? 4 : 3)
          .join('/');
        assert.ok(deps.includes(pkg), `${dir}: ${f} needs npm package ${pkg} in dependencies`);
      }
    }
  });

  it('names every missing piece and the one command that installs it', async function () {
    const need: Need = {
      what: 'task imaginary',
      requires: { debian: ['no-such-pkg'], files: ['/nonexistent/lineage/file'], commands: ['no-such-program-xyz'], python: ['no_such_module_xyz'] },
    };
    const missing = await findMissing([need, SANDBOX_NEED], { python: pythonPath(), root });
    assert.deepEqual(
      missing.map((m) => m.piece),
      ['file /nonexistent/lineage/file', 'program no-such-program-xyz (not on PATH)', `Python module no_such_module_xyz (${pythonPath()} cannot import it)`],
    );
    assert.equal(
      aptCommand(['a', 'b'], false),
      'sudo apt-get update && sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends a b',
    );
  });

  it('the sandbox and the test tools are part of the path; every shipped local task declares its Python', function () {
    const names = allNeeds().map((n) => n.what);
    for (const n of [SANDBOX_NEED, ...TEST_NEEDS]) assert.ok(names.includes(n.what), n.what);
    for (const name of ['golf-mini', 'chat-mini', 'bench-mini']) {
      assert.deepEqual(specNeed(name).requires.python, ['torch', 'numpy'], name);
    }
  });
});
