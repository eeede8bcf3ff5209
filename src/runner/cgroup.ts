// One cgroup per run, under the worker's own cgroup, so a trial's memory, pids and CPU are
// counted whole (whatever process groups or sessions it makes) and the run ends by killing the
// group. cgroup v2 is used where its controllers are delegated; on a hybrid host (v1 memory,
// pids, cpu, freezer plus a controller-less v2 tree, as on this project's dev machines) the v1
// controllers bound the run and v2's cgroup.kill ends it. Nothing usable: null, and the caller
// falls back to watching the process group.
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync, accessSync, constants } from 'node:fs';
import path from 'node:path';

export interface CgroupLimits {
  memoryMb: number;
  pids: number;
  /** CPU cores the run may use (a quota of cpus × period). */
  cpus: number;
}

export interface CgroupEvents {
  oomKills: number;
  pidsLimitHits: number;
  peakMb: number;
}

interface Layout {
  /** 'v2': all from the unified tree; 'v1+v2': v1 controllers, v2 for cgroup.kill; 'v1': freezer + kill. */
  kind: 'v2' | 'v1+v2' | 'v1';
  v2: string | null;
  v1: Partial<Record<'memory' | 'pids' | 'cpu' | 'freezer' | 'cpuset', string>>;
}

function mountPoints(): { v2: string | null; v1: Map<string, string> } {
  const v1 = new Map<string, string>();
  let v2: string | null = null;
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [pre, post] = line.split(' - ');
    if (!pre || !post) continue;
    const mountPoint = pre.split(' ')[4]!;
    const [fstype, , superOpts = ''] = post.split(' ');
    if (fstype === 'cgroup2') v2 = mountPoint;
    if (fstype === 'cgroup') for (const opt of superOpts.split(',')) v1.set(opt, mountPoint);
  }
  return { v2, v1 };
}

/** The worker's own cgroup paths, by hierarchy ('' for v2). */
function ownPaths(): Map<string, string> {
  const own = new Map<string, string>();
  for (const line of readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n')) {
    const [, controllers = '', p = '/'] = line.split(':');
    for (const c of controllers === '' ? [''] : controllers.split(',')) own.set(c, p);
  }
  return own;
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    const probe = path.join(dir, `lineage-probe-${process.pid}`);
    mkdirSync(probe);
    rmdirSync(probe);
    return true;
  } catch {
    return false;
  }
}

function v2Delegated(dir: string): boolean {
  try {
    const enabled = readFileSync(path.join(dir, 'cgroup.subtree_control'), 'utf8').split(/\s+/);
    return ['memory', 'pids', 'cpu'].every((c) => enabled.includes(c));
  } catch {
    return false;
  }
}

let layout: { value: Layout | null; why: string } | undefined;

/** How this host can bound a run, detected once. */
export function cgroupLayout(): { value: Layout | null; why: string } {
  if (layout) return layout;
  if (process.env.LINEAGE_CGROUPS === 'off') return (layout = { value: null, why: 'LINEAGE_CGROUPS=off' });
  try {
    const { v2, v1 } = mountPoints();
    const own = ownPaths();
    const v2Dir = v2 ? path.join(v2, own.get('') ?? '/') : null;
    const v2Ok = v2Dir !== null && writable(v2Dir);
    if (v2Ok && v2Delegated(v2Dir!)) return (layout = { value: { kind: 'v2', v2: v2Dir, v1: {} }, why: 'cgroup v2 with memory, pids and cpu delegated' });
    const dirs: Layout['v1'] = {};
    for (const c of ['memory', 'pids', 'cpu', 'freezer', 'cpuset'] as const) {
      const mp = v1.get(c);
      if (!mp) continue;
      const dir = path.join(mp, own.get(c) ?? '/');
      if (writable(dir)) dirs[c] = dir;
    }
    if (dirs.memory && dirs.pids && dirs.cpu && (v2Ok || dirs.freezer)) {
      const v1s = `cgroup v1 memory, pids, cpu${dirs.cpuset ? ', cpuset' : ''}${v2Ok ? '' : ' and freezer'}`;
      return (layout = { value: { kind: v2Ok ? 'v1+v2' : 'v1', v2: v2Ok ? v2Dir : null, v1: dirs }, why: v2Ok ? `${v1s}; v2 cgroup.kill` : v1s });
    }
    const missing = ['memory', 'pids', 'cpu'].filter((c) => !dirs[c as 'memory']);
    return (layout = {
      value: null,
      why: `no delegated cgroup: v2 ${v2Ok ? 'has no memory/pids/cpu controllers delegated' : v2 ? 'is not writable' : 'is not mounted'}, v1 ${missing.join(', ')} not writable`,
    });
  } catch (err) {
    return (layout = { value: null, why: `cgroups unreadable: ${(err as Error).message}` });
  }
}

function read(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function field(text: string, key: string): number {
  const m = new RegExp(`^${key} (\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

/** CPU numbers in a cpuset list such as "0-3,6". */
function parseCpus(list: string): number[] {
  return list
    .trim()
    .split(',')
    .filter(Boolean)
    .flatMap((r) => {
      const [a, b] = r.split('-').map(Number);
      return Array.from({ length: (b ?? a!) - a! + 1 }, (_, i) => a! + i);
    });
}

// CPUs handed to live runs of this worker, so concurrent slots get different cores.
const cpusInUse = new Map<number, number>();

/** The `n` least used CPUs of `allowed`. */
function pickCpus(allowed: number[], n: number): number[] {
  return [...allowed].sort((a, b) => (cpusInUse.get(a) ?? 0) - (cpusInUse.get(b) ?? 0) || a - b).slice(0, Math.max(1, Math.min(n, allowed.length)));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class RunCgroup {
  private constructor(
    readonly name: string,
    readonly kind: Layout['kind'],
    /** Every directory of this run, one per hierarchy. */
    private readonly dirs: { v2: string | null; v1: Layout['v1'] },
    /** The cores of its cpuset, where the host has one. */
    readonly cpuList: number[] = [],
  ) {
    for (const c of cpuList) cpusInUse.set(c, (cpusInUse.get(c) ?? 0) + 1);
  }

  /** Creates the run's groups and sets its limits; null where this host has no usable cgroups. */
  static create(name: string, limits: CgroupLimits): RunCgroup | null {
    const l = cgroupLayout().value;
    if (!l) return null;
    const at = (base: string) => {
      const dir = path.join(base, 'lineage', name);
      mkdirSync(dir, { recursive: true });
      return dir;
    };
    const bytes = String(Math.round(limits.memoryMb * 1024 * 1024));
    const period = 100_000;
    const quota = String(Math.max(1000, Math.round(limits.cpus * period)));
    if (l.kind === 'v2') {
      const parent = path.join(l.v2!, 'lineage');
      mkdirSync(parent, { recursive: true });
      writeFileSync(path.join(parent, 'cgroup.subtree_control'), '+memory +pids +cpu');
      const dir = at(l.v2!);
      writeFileSync(path.join(dir, 'memory.max'), bytes);
      if (existsSync(path.join(dir, 'memory.swap.max'))) writeFileSync(path.join(dir, 'memory.swap.max'), '0');
      writeFileSync(path.join(dir, 'pids.max'), String(limits.pids));
      writeFileSync(path.join(dir, 'cpu.max'), `${quota} ${period}`);
      return new RunCgroup(name, 'v2', { v2: dir, v1: {} });
    }
    const v1: Layout['v1'] = {};
    for (const [c, base] of Object.entries(l.v1) as [keyof Layout['v1'], string][]) v1[c] = at(base);
    writeFileSync(path.join(v1.memory!, 'memory.limit_in_bytes'), bytes);
    // memsw = memory: no swap on top of the limit (where swap accounting exists).
    if (existsSync(path.join(v1.memory!, 'memory.memsw.limit_in_bytes'))) writeFileSync(path.join(v1.memory!, 'memory.memsw.limit_in_bytes'), bytes);
    writeFileSync(path.join(v1.pids!, 'pids.max'), String(limits.pids));
    writeFileSync(path.join(v1.cpu!, 'cpu.cfs_period_us'), String(period));
    writeFileSync(path.join(v1.cpu!, 'cpu.cfs_quota_us'), quota);
    let cpuList: number[] = [];
    if (v1.cpuset) {
      // Pinned to whole cores as well as the quota: the recipe sees (sched_getaffinity, nproc) as many cores as its slot has.
      const parent = path.dirname(v1.cpuset);
      const own = path.dirname(parent);
      for (const d of [parent, v1.cpuset]) {
        if (!read(path.join(d, 'cpuset.cpus')).trim()) writeFileSync(path.join(d, 'cpuset.cpus'), read(path.join(own, 'cpuset.cpus')).trim());
        if (!read(path.join(d, 'cpuset.mems')).trim()) writeFileSync(path.join(d, 'cpuset.mems'), read(path.join(own, 'cpuset.mems')).trim());
      }
      cpuList = pickCpus(parseCpus(read(path.join(parent, 'cpuset.cpus'))), Math.ceil(limits.cpus));
      writeFileSync(path.join(v1.cpuset, 'cpuset.cpus'), cpuList.join(','));
    }
    return new RunCgroup(name, l.kind, { v2: l.kind === 'v1+v2' ? at(l.v2!) : null, v1 }, cpuList);
  }

  private all(): string[] {
    return [...(this.dirs.v2 ? [this.dirs.v2] : []), ...Object.values(this.dirs.v1)];
  }

  /** argv that moves itself into every group of the run, then execs the rest: `[...enter, cmd...]`. */
  enterPrefix(): string[] {
    const procs = this.all().map((d) => path.join(d, 'cgroup.procs'));
    // 125 when a group refuses the process: the run must not start unbounded.
    const script = `for f in ${procs.map((p) => `'${p}'`).join(' ')}; do echo $$ > "$f" || exit 125; done; exec "$@"`;
    return ['/bin/sh', '-c', script, 'lineage-cgroup'];
  }

  pids(): number[] {
    const dir = this.dirs.v2 ?? this.dirs.v1.pids ?? this.dirs.v1.memory!;
    return read(path.join(dir, 'cgroup.procs')).split('\n').filter(Boolean).map(Number);
  }

  populated(): boolean {
    if (this.dirs.v2) return field(read(path.join(this.dirs.v2, 'cgroup.events')), 'populated') === 1;
    return this.pids().length > 0;
  }

  memoryMb(): number {
    const file = this.kind === 'v2' ? path.join(this.dirs.v2!, 'memory.current') : path.join(this.dirs.v1.memory!, 'memory.usage_in_bytes');
    return Number(read(file).trim() || 0) / 1024 / 1024;
  }

  events(): CgroupEvents {
    if (this.kind === 'v2') {
      const d = this.dirs.v2!;
      return {
        oomKills: field(read(path.join(d, 'memory.events')), 'oom_kill'),
        pidsLimitHits: field(read(path.join(d, 'pids.events')), 'max'),
        peakMb: Number(read(path.join(d, 'memory.peak')).trim() || 0) / 1024 / 1024,
      };
    }
    const m = this.dirs.v1.memory!;
    return {
      oomKills: field(read(path.join(m, 'memory.oom_control')), 'oom_kill'),
      pidsLimitHits: field(read(path.join(this.dirs.v1.pids!, 'pids.events')), 'max'),
      peakMb: Number(read(path.join(m, 'memory.max_usage_in_bytes')).trim() || 0) / 1024 / 1024,
    };
  }

  /** One synchronous round of killing, for a worker that is exiting and cannot wait. */
  killNow(): void {
    try {
      if (this.dirs.v2) writeFileSync(path.join(this.dirs.v2, 'cgroup.kill'), '1');
    } catch {
      // no cgroup.kill: the signals below
    }
    for (const pid of this.pids()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }

  /** Kills every process of the run and waits until the group is empty. */
  async kill(): Promise<void> {
    for (let i = 0; i < 100 && this.populated(); i++) {
      if (this.dirs.v2) {
        try {
          writeFileSync(path.join(this.dirs.v2, 'cgroup.kill'), '1');
        } catch {
          // an older kernel without cgroup.kill: fall through to the signal loop
        }
      }
      if (!this.dirs.v2 || i > 0) {
        // Frozen, nothing can fork between reading the list and signalling it.
        const freezer = this.dirs.v1.freezer;
        if (freezer) writeFileSync(path.join(freezer, 'freezer.state'), 'FROZEN');
        for (const pid of this.pids()) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // gone
          }
        }
        if (freezer) writeFileSync(path.join(freezer, 'freezer.state'), 'THAWED');
      }
      await sleep(20);
    }
    if (this.populated()) throw new Error(`cgroup ${this.name} still has processes after kill: ${this.pids().join(' ')}`);
  }

  /** Removes the run's groups; call after kill(). */
  remove(): void {
    for (const c of this.cpuList) cpusInUse.set(c, (cpusInUse.get(c) ?? 1) - 1);
    this.cpuList.length = 0;
    for (const d of this.all()) {
      try {
        rmdirSync(d);
      } catch {
        // a group the kernel still tears down is removed by the next run's parent cleanup
      }
    }
  }
}
