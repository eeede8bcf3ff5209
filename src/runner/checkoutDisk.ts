// A trial's checkout is its only writable folder; a root worker makes it a size-limited tmpfs
// so a disk flood fills the trial's own quota (ENOSPC), not the host's disk. Its pages count
// against the memory of the run that writes them. A non-root worker cannot mount: a plain
// folder, and the sandbox report warns that the checkout has no size limit.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

const CHECKOUT_MB = Number(process.env.LINEAGE_CHECKOUT_MB ?? 2048);

function mounted(dir: string): boolean {
  const abs = path.resolve(dir);
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .some((l) => l.split(' ')[1] === abs);
}

/** Removes a checkout, unmounting its tmpfs first. */
export function removeCheckout(dir: string): void {
  if (mounted(dir)) execFileSync('umount', ['--lazy', dir], { stdio: 'pipe' });
  rmSync(dir, { recursive: true, force: true });
}

/** An empty checkout folder, bounded to `mb` MB where this worker can mount; says which it made. */
export function freshCheckout(dir: string, mb = CHECKOUT_MB): 'tmpfs' | 'folder' {
  removeCheckout(dir);
  mkdirSync(dir, { recursive: true });
  if (process.getuid?.() !== 0 || process.env.LINEAGE_CHECKOUT_TMPFS === 'off') return 'folder';
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${mb}m,mode=0755`, 'tmpfs', dir], { stdio: 'pipe' });
    return 'tmpfs';
  } catch {
    return 'folder';
  }
}
