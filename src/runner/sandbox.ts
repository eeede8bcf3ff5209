// Trials run model-written code. Where bubblewrap works, each runs in a mount namespace with a
// read-only root, its checkout the only writable place, chosen folders hidden (other trials,
// the campaign repositories, held-out data), no network, and its own PID namespace that dies
// with the worker. Where it does not, the process still gets a clean environment, its own
// process group and a parent-death signal (setpriv); workers print which one they use.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface SandboxSpec {
  /** Folders the trial may write (its checkout). */
  writable: string[];
  /** Folders replaced by an empty tmpfs. */
  hidden: string[];
  /** Folders inside hidden ones made visible again, read-only. */
  reveal: string[];
  network: boolean;
}

let bwrapWorks: boolean | undefined;

export function sandboxKind(): 'bwrap' | 'setpriv' | 'none' {
  if (process.env.LINEAGE_SANDBOX === 'off') return existsSync('/usr/bin/setpriv') ? 'setpriv' : 'none';
  if (bwrapWorks === undefined) {
    try {
      execFileSync('bwrap', ['--ro-bind', '/', '/', '--dev-bind', '/dev', '/dev', '--proc', '/proc', '--unshare-net', '--unshare-pid', '--die-with-parent', 'true'], { stdio: 'ignore', timeout: 10_000 });
      bwrapWorks = true;
    } catch {
      bwrapWorks = false;
    }
  }
  if (bwrapWorks) return 'bwrap';
  return existsSync('/usr/bin/setpriv') ? 'setpriv' : 'none';
}

/** The argv prefix that runs a command inside the sandbox. */
export function sandboxPrefix(spec: SandboxSpec): string[] {
  const kind = sandboxKind();
  if (kind === 'setpriv') return ['/usr/bin/setpriv', '--pdeathsig', 'KILL', '--'];
  if (kind === 'none') return [];
  const args = ['bwrap', '--ro-bind', '/', '/', '--dev-bind', '/dev', '/dev', '--proc', '/proc', '--unshare-pid', '--die-with-parent'];
  if (!spec.network) args.push('--unshare-net');
  for (const dir of spec.hidden) if (existsSync(dir)) args.push('--tmpfs', dir);
  for (const dir of spec.reveal) if (existsSync(dir)) args.push('--ro-bind', dir, dir);
  for (const dir of spec.writable) args.push('--bind', dir, dir);
  args.push('--');
  return args;
}
