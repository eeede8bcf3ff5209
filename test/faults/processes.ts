// The processes a fault scenario strikes: the project's own Temporal dev server and FerretDB
// (started by src/services/local.ts on free ports) and workers run as separate
// `node dist/src/cli/main.js worker ...` processes. Only processes this suite started are ever
// signalled, by the pids it recorded; nothing is looked up by name.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findFreePort, startLocalServices } from '../../src/services/local.js';
import { repoRoot } from '../../src/task/spec.js';

type ServiceName = 'temporal' | 'ferretdb';

export class Services {
  private constructor(
    readonly stateDir: string,
    readonly ports: { temporal: number; ui: number; mongo: number },
    readonly temporalAddress: string,
    readonly mongoUri: string,
  ) {}

  static async start(stateDir: string): Promise<Services> {
    const ports = { temporal: await findFreePort(), ui: await findFreePort(), mongo: await findFreePort() };
    const s = await Services.launch(stateDir, ports);
    return new Services(stateDir, ports, s.temporalAddress, s.mongoUri);
  }

  private static launch(stateDir: string, ports: { temporal: number; ui: number; mongo: number }) {
    // Local services only: an outer TEMPORAL_ADDRESS / MONGODB_URI must not redirect the suite.
    delete process.env.TEMPORAL_ADDRESS;
    delete process.env.MONGODB_URI;
    return startLocalServices({ stateDir, temporalPort: ports.temporal, uiPort: ports.ui, mongoPort: ports.mongo, log: () => undefined });
  }

  /** The pid the project's scripts recorded for a service they started. */
  pid(name: ServiceName): number {
    return (JSON.parse(readFileSync(path.join(this.stateDir, 'run', `${name}.pid`), 'utf8')) as { pid: number }).pid;
  }

  signal(name: ServiceName, sig: NodeJS.Signals): void {
    const pid = this.pid(name);
    try {
      process.kill(-pid, sig); // started detached: its own process group
    } catch {
      process.kill(pid, sig);
    }
  }

  /** kill -9, and wait until it is gone. */
  async kill(name: ServiceName): Promise<void> {
    const pid = this.pid(name);
    this.signal(name, 'SIGKILL');
    while (alive(pid)) await sleep(50);
  }

  /** Starts whatever is not running again, on the same ports and state files. */
  async restart(): Promise<void> {
    await Services.launch(this.stateDir, this.ports);
  }

  async stop(): Promise<void> {
    for (const name of ['temporal', 'ferretdb'] as const) {
      try {
        this.signal(name, 'SIGCONT');
        this.signal(name, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\S+ \(.*\) [ZX]/.test(stat);
  } catch {
    return false;
  }
}

export interface WorkerSpec {
  kind: 'control' | 'gpu';
  /** LINEAGE_HOST: a GPU worker's slot names (and so its evaluate queues) come from it. */
  host: string;
  /** LINEAGE_HOME of this "host". */
  home: string;
}

/** Worker processes by name; each restart of a name is the same host coming back. */
export class Workers {
  private procs = new Map<string, ChildProcess>();
  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly logDir: string,
  ) {
    mkdirSync(logDir, { recursive: true });
  }

  start(name: string, w: WorkerSpec): void {
    mkdirSync(w.home, { recursive: true });
    const args = [path.join(repoRoot(), 'dist/src/cli/main.js'), 'worker', w.kind, ...(w.kind === 'gpu' ? ['--slots', '1', '--threads', '1'] : [])];
    const out = openSync(path.join(this.logDir, `${name}.log`), 'a');
    const child = spawn(process.execPath, args, { env: { ...this.env, LINEAGE_HOST: w.host, LINEAGE_HOME: w.home }, stdio: ['ignore', out, out] });
    this.procs.set(name, child);
  }

  running(name: string): boolean {
    const c = this.procs.get(name);
    return Boolean(c && c.exitCode === null && c.signalCode === null);
  }

  /** kill -9 of one worker this suite started. */
  async kill(name: string): Promise<void> {
    const c = this.procs.get(name);
    if (!c || !this.running(name)) return;
    const gone = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await gone;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.procs.keys()].map((n) => this.kill(n)));
  }
}
