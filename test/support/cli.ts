// Runs the built `lineage` command against the test services, as a user would.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from '../../src/task/spec.js';

export function run(command: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { env: process.env, timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

export function lineage(...args: string[]) {
  return run(process.execPath, [path.join(repoRoot(), 'dist/src/cli/main.js'), ...args]);
}
