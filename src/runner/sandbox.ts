// Trials run model-written code, and a trial wants a better score. Each run is confined by an
// argv prefix, in this order: enter the run's cgroup (cgroup.ts: memory, pids, CPU, killed
// whole at the end), drop to the trial user (trialUser.ts), then bubblewrap with an allow-list:
// read-only the interpreter and its packages, plus what the caller names; its writable folders;
// private size-bounded /tmp and /dev/shm; only its slot's GPU device nodes; no network; new
// user, PID, IPC, UTS and cgroup namespaces; a new session; every capability dropped.
// Nothing else of the host is visible: not the Lineage state folder, other checkouts, held-out
// data sources, nor other processes' /proc.
//
// Fail closed: without a working bubblewrap, trials are refused (SandboxUnavailableError)
// unless the worker was started with the explicit unsafe switch LINEAGE_SANDBOX=off
// (`--no-sandbox`); trial documents record which mode ran them.
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { pythonPath } from '../config.js';
import { RunCgroup, cgroupLayout, type CgroupEvents, type CgroupLimits } from './cgroup.js';
import { TRIAL_USER, chownTree, dropPrefix, trialUser } from './trialUser.js';

export interface SandboxSpec {
  /** Folders the run may write (a train's checkout); [] for none. */
  writable: string[];
  /** Folders visible read-only besides the interpreter (the train split, an evaluator folder). */
  readable?: string[];
  /** Inside a visible folder: replaced by an empty tmpfs. */
  hidden?: string[];
  /** Inside hidden ones: visible again, read-only. */
  reveal?: string[];
  /** Default false. */
  network?: boolean;
  /** The slot's CUDA_VISIBLE_DEVICES ("0", "2,3"); only those GPU nodes are visible. */
  gpus?: string | null;
  /** Size of the private /tmp and /dev/shm, each (default 1024 MB). */
  tmpMb?: number;
  /** Private /tmp and /dev/shm mounted read-only: a run with no writable place at all (the model runner). */
  readOnlyTmp?: boolean;
  /** The run's cgroup. Undefined: sandboxPrefix makes one with `limits` (end it with endSandbox); null: none. */
  cgroup?: RunCgroup | null;
  limits?: CgroupLimits;
}

const DEFAULT_LIMITS: CgroupLimits = { memoryMb: 4096, pids: 1024, cpus: 1 };

export class SandboxUnavailableError extends Error {
  override name = 'SandboxUnavailableError';
}

/** What confines this worker's trials: printed on start and stored on every trial document. */
export interface SandboxReport {
  mode: 'bwrap' | 'unsafe';
  /** Who the trial runs as on the host. */
  user: string;
  cgroups: string;
  warnings: string[];
}

function unsafeRequested(): boolean {
  return process.env.LINEAGE_SANDBOX === 'off';
}

/** LINEAGE_BWRAP points at another bubblewrap binary (or at none, to see the worker refuse). */
function bwrapPath(): string {
  return process.env.LINEAGE_BWRAP ?? 'bwrap';
}

// -- the allow-list ---------------------------------------------------------------------------

let interpreterCache: { python: string; dirs: string[] } | undefined;

/** The interpreter's own folders: its prefix (unless it is /usr itself) and sys.path entries. */
function interpreterDirs(): string[] {
  const python = pythonPath();
  if (interpreterCache?.python === python) return interpreterCache.dirs;
  let listed: string[] = [];
  try {
    listed = JSON.parse(
      execFileSync(python, ['-c', 'import sys, json; print(json.dumps([sys.prefix, sys.base_prefix, sys.executable, *sys.path]))'], {
        encoding: 'utf8',
        timeout: 30_000,
        env: { PATH: '/usr/bin:/bin' },
      }),
    );
  } catch {
    // no interpreter: the sandbox still works for other commands, the run fails inside it
  }
  const dirs = new Set<string>();
  for (const p of listed) {
    if (!p || !path.isAbsolute(p) || !existsSync(p) || p === '/usr' || p === '/') continue;
    dirs.add(p);
    try {
      dirs.add(realpathSync(p));
    } catch {
      // vanished
    }
  }
  interpreterCache = { python, dirs: [...dirs] };
  return interpreterCache.dirs;
}

/** Programs, shared libraries and the loader's configuration: what any command needs. */
function systemPaths(): string[] {
  const out = ['/usr/bin', '/usr/lib64', '/etc/ld.so.cache', '/etc/ld.so.conf', '/etc/ld.so.conf.d', '/etc/alternatives', '/etc/localtime'];
  for (const name of readdirSync('/usr/lib')) {
    const p = path.join('/usr/lib', name);
    // multiarch library folders, and the few libraries Debian installs directly in /usr/lib
    // (torch's libgloo). Other /usr/lib folders (R and its packages) stay out.
    if (/-linux-gnu$/.test(name) || (/\.so(\.|$)/.test(name) && !lstatSync(p).isDirectory())) out.push(p);
  }
  return out.filter((p) => existsSync(p));
}

/**
 * The device nodes of the slot's GPUs. CUDA index i is the i-th /dev/nvidiaN by minor number:
 * /dev/nvidia<i> on a bare host, and the one node a container was given (its host minor kept).
 */
function gpuNodes(gpus: string | null | undefined): string[] {
  if (gpus === null || gpus === undefined || gpus === '') return [];
  const nodes = readdirSync('/dev')
    .filter((n) => /^nvidia\d+$/.test(n))
    .sort((a, b) => Number(a.slice(6)) - Number(b.slice(6)));
  const own = gpus
    .split(',')
    .filter((g) => /^\d+$/.test(g))
    .flatMap((g) => (nodes[Number(g)] ? [`/dev/${nodes[Number(g)]}`] : []));
  return [...own, '/dev/nvidiactl', '/dev/nvidia-uvm', '/dev/nvidia-uvm-tools', '/dev/nvidia-modeset'].filter((p) => existsSync(p));
}

const inside = (dir: string, parent: string) => dir === parent || dir.startsWith(parent.endsWith('/') ? parent : `${parent}/`);

function bwrapArgs(spec: SandboxSpec, cwd: string | undefined): string[] {
  const user = trialUser();
  const tmpBytes = String((spec.tmpMb ?? 1024) * 1024 * 1024);
  const args = [bwrapPath(), '--unshare-all', '--unshare-user', '--disable-userns'];
  if (spec.network) args.push('--share-net');
  const id = String(user?.uid ?? 65534);
  args.push('--uid', id, '--gid', String(user?.gid ?? 65534));
  args.push('--die-with-parent', '--new-session', '--cap-drop', 'ALL');
  args.push('--proc', '/proc', '--dev', '/dev', '--size', tmpBytes, '--tmpfs', '/tmp', '--size', tmpBytes, '--tmpfs', '/dev/shm');
  for (const link of ['bin', 'lib', 'lib64', 'sbin']) {
    const p = `/${link}`;
    if (existsSync(p) && lstatSync(p).isSymbolicLink()) args.push('--symlink', `usr/${link}`, p);
  }
  const ro = new Set([...systemPaths(), ...interpreterDirs(), ...(spec.readable ?? []), ...(spec.reveal ?? [])]);
  const rw = new Set(spec.writable);
  // A read-only folder inside another read-only one is already visible (binding it again would
  // follow its symlinks, such as /etc/localtime, into places not yet mounted).
  const roDirs = [...ro].filter((p) => !rw.has(p));
  const roTop = roDirs.filter((p) => !roDirs.some((q) => q !== p && inside(p, q)));
  const mounts = [...roTop.map((p) => ({ p, flag: '--ro-bind' })), ...[...rw].map((p) => ({ p, flag: '--bind' }))];
  // Parents before children, so a folder inside another one is mounted over it.
  mounts.sort((a, b) => a.p.split('/').length - b.p.split('/').length);
  for (const m of mounts) if (existsSync(m.p)) args.push(m.flag, m.p, m.p);
  // Hidden folders matter only inside something visible; what they hide may be revealed again.
  const hidden = (spec.hidden ?? []).filter((h) => mounts.some((m) => inside(h, m.p) && h !== m.p));
  for (const h of hidden) args.push('--tmpfs', h);
  for (const r of spec.reveal ?? []) if (hidden.some((h) => inside(r, h)) && existsSync(r)) args.push('--ro-bind', r, r);
  const gpu = gpuNodes(spec.gpus);
  // The CUDA driver and NVML read the PCI topology from /sys; a CPU run does not see it.
  if (gpu.length) args.push('--ro-bind', '/sys', '/sys');
  for (const dev of gpu) args.push('--dev-bind', dev, dev);
  // After the binds, so folders under /tmp (a test's, a bench's) can still be mounted into it.
  if (spec.readOnlyTmp) args.push('--remount-ro', '/tmp', '--remount-ro', '/dev/shm');
  if (cwd) args.push('--chdir', cwd);
  args.push('--');
  return args;
}

/** bubblewrap opens the folders it binds as the trial user: each parent must let it pass. */
function assertReachable(dirs: string[]): void {
  const user = trialUser();
  if (!user) return;
  for (const dir of dirs) {
    for (let p = path.dirname(path.resolve(dir)); p !== '/'; p = path.dirname(p)) {
      const st = statSync(p);
      if (!(st.mode & 0o001) && st.uid !== user.uid) {
        throw new Error(
          `sandbox: ${TRIAL_USER} cannot reach ${dir}: ${p} is mode ${(st.mode & 0o777).toString(8)}; give it o+x (chmod o+x ${p}) or move the folder`,
        );
      }
    }
  }
}

// -- fail closed ------------------------------------------------------------------------------

let probed: { key: string; error: string | null } | undefined;

/** Runs `id -u` through the full prefix once: the sandbox works iff it starts and drops uid. */
function probeBwrap(): string | null {
  const key = `${bwrapPath()}|${pythonPath()}`;
  if (probed?.key === key) return probed.error;
  let error: string | null = null;
  try {
    const [file, ...args] = [...dropPrefix(), ...bwrapArgs({ writable: [] }, undefined), '/usr/bin/id', '-u'];
    const uid = execFileSync(file!, args, { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    if (uid === '0') error = 'the probe ran as uid 0 inside the sandbox';
  } catch (err) {
    const e = err as { stderr?: Buffer | string; message: string };
    error = (String(e.stderr ?? '').trim() || e.message).split('\n').slice(-3).join(' ');
  }
  probed = { key, error };
  return error;
}

function fixAdvice(error: string): string {
  return (
    `trial sandbox unavailable: bubblewrap (${bwrapPath()}) does not work here: ${error}. ` +
    'Fix: install bubblewrap (apt-get install bubblewrap) and allow unprivileged user namespaces ' +
    '(sysctl user.max_user_namespaces > 0, kernel.unprivileged_userns_clone=1 where it exists; in a container: ' +
    'security_opt seccomp=unconfined and apparmor=unconfined, see README "Untrusted code"). ' +
    'To run trials WITHOUT isolation anyway, start the worker with --no-sandbox (LINEAGE_SANDBOX=off).'
  );
}

let reportCache: { key: string; report: SandboxReport } | undefined;

/** The mechanisms that confine trials here; throws SandboxUnavailableError unless bwrap works or unsafe was asked for. */
export function requireSandbox(): SandboxReport {
  const unsafe = unsafeRequested();
  const key = `${unsafe}|${bwrapPath()}|${pythonPath()}`;
  if (reportCache?.key === key) return reportCache.report;
  if (!unsafe) {
    const error = probeBwrap();
    if (error) throw new SandboxUnavailableError(fixAdvice(error));
  }
  const warnings: string[] = [];
  if (unsafe)
    warnings.push(
      'UNSAFE: trials run without bubblewrap (LINEAGE_SANDBOX=off / --no-sandbox): they see the whole file system, the network and other processes',
    );
  const u = trialUser();
  if (!u) warnings.push('the worker is not root: trials keep its uid outside their user namespace and the checkout has no size limit');
  const cg = cgroupLayout();
  if (!cg.value) warnings.push(`no per-run cgroup (${cg.why}): memory is watched per process group, pids and CPU are not bounded`);
  const report: SandboxReport = {
    mode: unsafe ? 'unsafe' : 'bwrap',
    user: u ? `${u.name} (uid ${u.uid})` : unsafe ? 'the worker user' : `the worker user, uid 65534 inside a user namespace`,
    cgroups: cg.value ? cg.why : 'none',
    warnings,
  };
  reportCache = { key, report };
  return report;
}

/** One line for the worker's start-up output. */
export function sandboxLine(r: SandboxReport): string {
  const head = r.mode === 'unsafe' ? 'sandbox OFF (unsafe)' : 'sandbox bwrap';
  return `${head}; trials run as ${r.user}; cgroups: ${r.cgroups}${r.warnings.length ? `; warning: ${r.warnings.join('; ')}` : ''}`;
}

// -- the prefix -------------------------------------------------------------------------------

const owned = new WeakMap<string[], RunCgroup>();
let counter = 0;

/**
 * The argv prefix that confines a command: cgroup entry, uid drop, bubblewrap (or, in unsafe
 * mode, only the first two and a parent-death signal). Writable folders are handed to the
 * trial user. Throws SandboxUnavailableError when the sandbox does not work and unsafe mode
 * was not asked for. A cgroup made here (spec.cgroup undefined) is ended with endSandbox(prefix).
 */
export function sandboxPrefix(spec: SandboxSpec, cwd?: string): string[] {
  const report = requireSandbox();
  const user = trialUser();
  if (user) for (const dir of spec.writable) if (existsSync(dir)) chownTree(dir, user.uid, user.gid);
  if (report.mode === 'bwrap') assertReachable([...spec.writable, ...(spec.readable ?? []), ...(spec.reveal ?? [])].filter((d) => existsSync(d)));
  let cgroup = spec.cgroup;
  let made = false;
  if (cgroup === undefined) {
    cgroup = RunCgroup.create(`run-${process.pid}-${++counter}`, spec.limits ?? DEFAULT_LIMITS);
    made = cgroup !== null;
  }
  const enter = cgroup ? cgroup.enterPrefix() : [];
  const confine = report.mode === 'unsafe' ? ['/usr/bin/setpriv', '--pdeathsig', 'KILL', '--'] : bwrapArgs(spec, cwd);
  const prefix = [...enter, ...dropPrefix(), ...confine];
  if (made) owned.set(prefix, cgroup!);
  return prefix;
}

/** Kills and removes the cgroup sandboxPrefix made for this prefix; its events, or null if it made none. */
export async function endSandbox(prefix: string[]): Promise<CgroupEvents | null> {
  const cgroup = owned.get(prefix);
  if (!cgroup) return null;
  owned.delete(prefix);
  await cgroup.kill();
  const events = cgroup.events();
  cgroup.remove();
  return events;
}

/** Gives a folder the trial user wrote back to the worker, so later trials cannot change it. */
export function reclaim(dir: string): void {
  if (trialUser() && existsSync(dir)) chownTree(dir, process.getuid!(), process.getgid!());
}
