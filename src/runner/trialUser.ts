// The dedicated unprivileged user trials run as. A root worker creates it once (a system user
// with no home and no shell) and drops to it with setpriv; a non-root worker cannot switch
// uid, so its trials get their own uid only inside bubblewrap's user namespace.
import { execFileSync } from 'node:child_process';
import { chownSync, lstatSync, readdirSync } from 'node:fs';
import path from 'node:path';

export const TRIAL_USER = process.env.LINEAGE_TRIAL_USER ?? 'lineage-trial';

interface TrialUser {
  name: string;
  uid: number;
  gid: number;
}

function lookup(name: string): TrialUser | null {
  try {
    const [, , uid, gid] = execFileSync('getent', ['passwd', name], { encoding: 'utf8' }).trim().split(':');
    return { name, uid: Number(uid), gid: Number(gid) };
  } catch {
    return null;
  }
}

let cached: TrialUser | null | undefined;

/** The trial user where this worker can switch to it (root), creating it if needed; else null. */
export function trialUser(): TrialUser | null {
  if (cached !== undefined) return cached;
  if (process.getuid?.() !== 0) return (cached = null);
  let user = lookup(TRIAL_USER);
  if (!user) {
    execFileSync('useradd', ['--system', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', '--user-group', TRIAL_USER], {
      stdio: 'pipe',
    });
    user = lookup(TRIAL_USER);
    if (!user) throw new Error(`useradd ${TRIAL_USER} ran but getent does not find the user`);
  }
  return (cached = user);
}

/** The argv prefix that drops to the trial user, or [] where this worker cannot switch uid. */
export function dropPrefix(): string[] {
  const u = trialUser();
  return u ? ['/usr/bin/setpriv', `--reuid=${u.uid}`, `--regid=${u.gid}`, '--clear-groups', '--'] : [];
}

/** Hands a folder tree to `uid:gid` (the trial user before a run, the worker after). */
export function chownTree(dir: string, uid: number, gid: number): void {
  const st = lstatSync(dir);
  if (st.isSymbolicLink()) return;
  chownSync(dir, uid, gid);
  if (st.isDirectory()) for (const name of readdirSync(dir)) chownTree(path.join(dir, name), uid, gid);
}
