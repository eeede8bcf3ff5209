// A run that died of a full slot disk is retried as infrastructure, never labelled crash; a recipe
// that merely prints the words, on a disk with room, keeps its own outcome.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SlotDiskFullError, throwIfDiskFull } from '../../src/runner/diskSpace.js';
import type { RunOutcome } from '../../src/types.js';

const failed = (logTail: string): RunOutcome => ({ exitCode: 1, signal: null, timedOut: false, overBudget: false, memoryExceeded: false, wallS: 1, logTail });
const ENOSPC = 'OSError: [Errno 28] No space left on device';

describe('slot disk full', () => {
  it('leaves a failed run alone while the disk has room, whatever its log says', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'disk-'));
    try {
      assert.doesNotThrow(() => throwIfDiskFull(dir, failed(ENOSPC)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('throws (so the stage retries) when the run hit ENOSPC on a full disk', function () {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'disk-full-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { stdio: 'ignore' });
    } catch {
      rmSync(dir, { recursive: true, force: true });
      throw new Error('this test mounts a 1 MiB tmpfs and needs root (tests run as root here)');
    }
    try {
      // Fill it, as a recipe writing its outputs would.
      try {
        writeFileSync(path.join(dir, 'fill'), Buffer.alloc(2 * 1024 * 1024));
      } catch {
        // ENOSPC: full now
      }
      assert.throws(() => throwIfDiskFull(dir, failed(`Traceback ...\n${ENOSPC}`)), SlotDiskFullError);
      assert.doesNotThrow(() => throwIfDiskFull(dir, { ...failed(ENOSPC), exitCode: 0 }), 'a run that succeeded stands');
      assert.doesNotThrow(() => throwIfDiskFull(dir, failed('RuntimeError: boom')), 'a crash for another reason stays a crash');
    } finally {
      execFileSync('umount', [dir]);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
