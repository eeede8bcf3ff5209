// Fail closed: with bubblewrap unavailable, no trial code runs and a worker refuses to start,
// saying how to fix it; only the explicit unsafe switch runs trials, and says so in one line.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runBudgeted } from '../../src/runner/budgetedProcess.js';
import { SandboxUnavailableError, requireSandbox, sandboxLine } from '../../src/runner/sandbox.js';
import { repoRoot } from '../../src/task/spec.js';
import { lineage } from '../support/cli.js';
import { oldRun } from './oldSandbox.js';

const MISSING = '/nonexistent/bwrap';
const dir = mkdtempSync(path.join(os.tmpdir(), 'lineage-failclosed-'));

function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  return fn().finally(() => {
    for (const [k, v] of Object.entries(saved))
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
  });
}

describe('red team: the host, without bubblewrap', function () {
  this.timeout(120_000);

  it('runs no trial code and names the fix', async () => {
    const marker = path.join(dir, 'ran');
    await withEnv({ LINEAGE_BWRAP: MISSING }, async () => {
      assert.throws(
        () => requireSandbox(),
        (err: Error) => err instanceof SandboxUnavailableError && /apt-get install bubblewrap/.test(err.message) && /--no-sandbox/.test(err.message),
      );
      await assert.rejects(
        runBudgeted({
          command: ['/usr/bin/touch', marker],
          cwd: dir,
          env: { PATH: '/usr/bin:/bin' },
          budgetS: 5,
          graceS: 1,
          memoryLimitMb: 256,
          logFile: path.join(dir, 'log'),
        }),
        SandboxUnavailableError,
      );
    });
    assert.equal(existsSync(marker), false, 'nothing ran');
    // Control: the old code fell back to setpriv silently, and the command ran unconfined.
    await oldRun('setpriv', ['/usr/bin/touch', marker], { cwd: dir, env: { PATH: '/usr/bin:/bin' }, budgetS: 5, memoryLimitMb: 256 });
    assert.equal(existsSync(marker), true);
  });

  it('a GPU worker refuses to start and says how to fix it', async () => {
    await withEnv({ LINEAGE_BWRAP: MISSING }, async () => {
      const r = await lineage('worker', 'gpu', '--slots', '1');
      assert.equal(r.code, 1);
      assert.match(r.stderr, /trial sandbox unavailable: bubblewrap \(\/nonexistent\/bwrap\) does not work here/);
      assert.match(r.stderr, /Fix: install bubblewrap/);
      assert.doesNotMatch(r.stdout, /gpu worker on/);
    });
  });

  it('--no-sandbox runs trials unsafely and prints that in one line on start', async () => {
    await withEnv({ LINEAGE_BWRAP: MISSING }, async () => {
      const worker = spawn(process.execPath, [path.join(repoRoot(), 'dist/src/cli/main.js'), 'worker', 'gpu', '--slots', '1', '--no-sandbox'], {
        env: process.env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      worker.stdout.on('data', (d: Buffer) => (out += d.toString()));
      worker.stderr.on('data', (d: Buffer) => (out += d.toString()));
      for (let i = 0; i < 600 && !/sandbox OFF/.test(out); i++) await new Promise((r) => setTimeout(r, 100));
      worker.kill('SIGINT');
      await new Promise((r) => worker.once('exit', r));
      const line = out.split('\n').find((l) => l.includes('sandbox OFF'));
      assert.ok(line, `no unsafe line in:\n${out}`);
      assert.match(line, /^sandbox OFF \(unsafe\); trials run as .*; warning: UNSAFE: trials run without bubblewrap/);
      // The same report goes into every trial document (train.sandbox).
      process.env.LINEAGE_SANDBOX = 'off';
      try {
        assert.equal(sandboxLine(requireSandbox()), line);
      } finally {
        delete process.env.LINEAGE_SANDBOX;
      }
    });
  });
});
