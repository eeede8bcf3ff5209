// The sandbox as it was before issue 11, kept only as the control of the host red-team suite:
// each attack must work against this and fail against the current one. Two modes: bubblewrap
// over the whole root file system (`--ro-bind / /`, shared /dev), or, without bubblewrap, the
// silent setpriv fallback. Budgets were a process-group kill and a resident-memory sum per group
// (groupRssMb, still the fallback where a host has no cgroups).
import { execa } from 'execa';
import { groupRssMb } from '../../src/runner/budgetedProcess.js';

type OldKind = 'bwrap' | 'setpriv';

function oldSandboxPrefix(kind: OldKind, spec: { writable: string[]; hidden: string[] }): string[] {
  if (kind === 'setpriv') return ['/usr/bin/setpriv', '--pdeathsig', 'KILL', '--'];
  const args = ['bwrap', '--ro-bind', '/', '/', '--dev-bind', '/dev', '/dev', '--proc', '/proc', '--unshare-pid', '--die-with-parent', '--unshare-net'];
  for (const dir of spec.hidden) args.push('--tmpfs', dir);
  for (const dir of spec.writable) args.push('--bind', dir, dir);
  args.push('--');
  return args;
}

/** The old runner: kills the process group at the budget or when the group's RSS passes the limit. */
export async function oldRun(
  kind: OldKind,
  command: string[],
  o: { cwd: string; env: Record<string, string>; budgetS: number; memoryLimitMb: number; hidden?: string[] },
) {
  const [file, ...args] = [...oldSandboxPrefix(kind, { writable: [o.cwd], hidden: o.hidden ?? [] }), ...command];
  const child = execa(file!, args, { cwd: o.cwd, env: o.env, extendEnv: false, detached: true, stdin: 'ignore', all: true, reject: false });
  const pgid = child.pid!;
  let memoryExceeded = false;
  const kill = () => {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // gone
    }
  };
  const watch = setInterval(() => {
    if (groupRssMb(pgid) > o.memoryLimitMb) {
      memoryExceeded = true;
      kill();
    }
  }, 1000);
  const deadline = setTimeout(kill, o.budgetS * 1000);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await exited;
  kill();
  clearInterval(watch);
  clearTimeout(deadline);
  // A daemon that left the group keeps the output pipe open: the old runner did not wait for it either.
  const r = await Promise.race([child, new Promise<null>((resolve) => setTimeout(() => resolve(null), 2000))]);
  return { exitCode: r?.exitCode ?? null, memoryExceeded, log: String(r?.all ?? '') };
}
