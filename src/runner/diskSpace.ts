// A full slot disk is the slot's fault, not the recipe's: a run that died of it is retried (the
// stage waits the outage out) instead of being labelled crash.
import { statfsSync } from 'node:fs';
import type { RunOutcome } from '../types.js';

const NO_SPACE = /No space left on device|ENOSPC|\[Errno 28\]/;
/** Below this much free space (or 1% of a smaller file system) a disk counts as full. */
const FULL_BELOW_BYTES = 16 * 1024 * 1024;

export class SlotDiskFullError extends Error {
  override name = 'SlotDiskFullError';
}

function freeBytes(dir: string): { free: number; size: number } {
  const s = statfsSync(dir);
  return { free: s.bavail * s.bsize, size: s.blocks * s.bsize };
}

/** Throws when a failed run says it ran out of space and the disk under `dir` is (still) full. */
export function throwIfDiskFull(dir: string, outcome: RunOutcome): void {
  if (outcome.exitCode === 0 || !NO_SPACE.test(outcome.logTail)) return;
  const { free, size } = freeBytes(dir);
  if (free >= Math.min(FULL_BELOW_BYTES, size / 100)) return;
  throw new SlotDiskFullError(`slot disk full under ${dir} (${free} of ${size} bytes free): the run is retried once there is space`);
}
