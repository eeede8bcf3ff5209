// CI must run what README promises, on a machine that starts with none of our services.
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../src/task/spec.js';

const read = (f: string) => readFileSync(path.join(repoRoot(), f), 'utf8');

describe('.ci/run', () => {
  const ci = read('.ci/run');
  const block = /## Two command lines\s+```sh\n([\s\S]*?)```/.exec(read('README.md'))?.[1] ?? '';
  const [mainLine, testLine] = block
    .trim()
    .split('\n')
    .map((l) => l.replace(/#.*$/, '').trim());

  it('README gives exactly two command lines: the demo and the tests', () => {
    assert.equal(mainLine, 'npm install && npm start');
    assert.equal(testLine, 'npm test');
  });
  it("calls README's test command and installs what the tests need", () => {
    assert.ok(
      ci.split('\n').some((l) => l.trim() === testLine),
      `.ci/run must run "${testLine}"`,
    );
    assert.match(ci, /npm ci/);
    assert.match(ci, /^npm run lint/m, '.ci/run lints before it tests');
    // What the tests need is installed by the one provisioning path that `npm test` runs first
    // (its contents are checked against dpkg by test/host/requirements.test.ts).
    assert.match(read('scripts/test.mjs'), /setupHost\(\{ tasks: shippedTaskDirs\(true\), tests: true/);
    assert.ok(statSync(path.join(repoRoot(), '.ci/run')).mode & 0o100, '.ci/run is executable');
  });
});
