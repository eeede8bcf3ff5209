import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runBudgeted } from '../../src/runner/budgetedProcess.js';
import { processesRunning } from '../support/processes.js';
import { requireSandbox } from '../../src/runner/sandbox.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'lineage-run-'));
const base = { cwd: dir, env: { PATH: '/usr/bin:/bin' }, graceS: 0.5, memoryLimitMb: 256, logFile: path.join(dir, 'log') };

describe('budgeted process', () => {
  it('kills the whole process group at budget + grace', async () => {
    const marker = `${30 + Math.random()}`;
    const r = await runBudgeted({ ...base, command: ['sh', '-c', `sleep ${marker} & sleep ${marker}`], budgetS: 1 });
    assert.equal(r.timedOut, true);
    assert.equal(r.overBudget, true);
    assert.deepEqual(processesRunning(`sleep\0${marker}`), [], 'the background child died with its group');
  });
  it('kills a process that floods memory', async () => {
    const r = await runBudgeted({
      ...base,
      command: ['/usr/bin/python3', '-c', 'x = bytearray(1024 * 1024 * 1024); import time; time.sleep(20)'],
      budgetS: 20,
    });
    assert.equal(r.memoryExceeded, true);
    assert.match(r.logTail, /memory limit 256 MB/);
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

describe('sandbox', () => {
  it('lets a trial write only its checkout, hides what it must not read, and has no network', async function () {
    requireSandbox();
    const secret = mkdtempSync(path.join(os.tmpdir(), 'lineage-hidden-'));
    writeFileSync(path.join(secret, 'val.bin'), 'held out');
    const outside = path.join(os.tmpdir(), `lineage-escape-${process.pid}`);
    const script = [
      'import os, socket',
      `open("inside.txt", "w").write("ok")`,
      `try:\n    open(${JSON.stringify(outside)}, "w").write("x"); print("wrote its private /tmp")\nexcept OSError as e: print("write refused", e.errno)`,
      `print("hidden visible", os.path.exists(${JSON.stringify(secret)}))`,
      'try:\n    socket.create_connection(("127.0.0.1", 22), timeout=2); print("NETWORK")\nexcept OSError: print("no network")',
    ].join('\n');
    const r = await runBudgeted({ ...base, command: ['/usr/bin/python3', '-c', script], budgetS: 20, sandbox: { hidden: [secret] } });
    assert.equal(r.exitCode, 0, r.logTail);
    assert.equal(existsSync(outside), false, 'the host /tmp is untouched: the trial has its own');
    assert.match(r.logTail, /hidden visible False/);
    assert.match(r.logTail, /no network/);
    assert.equal(readFileSync(path.join(dir, 'inside.txt'), 'utf8'), 'ok');
  });
});
