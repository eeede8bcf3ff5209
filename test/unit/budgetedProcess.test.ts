import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runBudgeted } from '../../src/runner/budgetedProcess.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'lineage-run-'));
const base = { cwd: dir, env: { PATH: '/usr/bin:/bin' }, graceS: 0.5, memoryLimitMb: 256, logFile: path.join(dir, 'log') };

/** Running or sleeping; a zombie waiting for its reaper is dead. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('budgeted process', () => {
  it('kills the whole process group at budget + grace', async () => {
    const r = await runBudgeted({ ...base, command: ['sh', '-c', 'sleep 30 & echo child $!; sleep 30'], budgetS: 1 });
    assert.equal(r.timedOut, true);
    assert.equal(r.overBudget, true);
    const child = Number(/child (\d+)/.exec(r.logTail)![1]);
    assert.equal(alive(child), false, 'the background child died with its group');
  });
  it('kills a process that floods memory', async () => {
    const r = await runBudgeted({ ...base, command: ['/usr/bin/python3', '-c', 'x = bytearray(1024 * 1024 * 1024); import time; time.sleep(20)'], budgetS: 20 });
    assert.equal(r.memoryExceeded, true);
    assert.match(r.logTail, /passed the limit 256 MB/);
  });
  it('passes nothing of the parent environment', async () => {
    process.env.SOME_SECRET = 'hunter2';
    const r = await runBudgeted({ ...base, command: ['env'], budgetS: 5 });
    delete process.env.SOME_SECRET;
    assert.equal(r.exitCode, 0);
    assert.doesNotMatch(r.logTail, /hunter2/);
    assert.match(r.logTail, /PATH=\/usr\/bin:\/bin/);
  });
});
