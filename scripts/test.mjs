// `npm test`: build, provision and start the real services on free ports, run every mocha test
// against them, and end with one plain line "N passed, N failed" from mocha's own counts.
// `npm run test:unit` (--unit): only test/unit, pure functions, in seconds: no provisioning, no services.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Mocha from 'mocha';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });

const files = (dir) =>
  readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? files(p) : name.endsWith('.test.js') ? [p] : [];
  });

/** Runs the test files whose path contains one of `only` (all when empty); resolves to mocha's stats. */
async function runMocha(dir, only) {
  const mocha = new Mocha({ timeout: 180_000, reporter: 'spec' });
  for (const f of files(dir).sort()) if (!only.length || only.some((o) => f.includes(o))) mocha.addFile(f);
  await mocha.loadFilesAsync();
  return new Promise((resolve) => {
    const runner = mocha.run(() => resolve(runner.stats));
  });
}

function report(stats) {
  const skipped = stats.pending ? `, ${stats.pending} skipped` : '';
  console.log(`${stats.passes} passed, ${stats.failures} failed${skipped}`);
  process.exit(stats.failures > 0 || stats.passes === 0 ? 1 : 0);
}

const args = process.argv.slice(2);
if (args.includes('--unit'))
  report(
    await runMocha(
      path.join(root, 'dist/test/unit'),
      args.filter((a) => a !== '--unit'),
    ),
  );

const { startLocalServices, findFreePort } = await import(path.join(root, 'dist/src/services/local.js'));
// The one provisioning path: every shipped task's and fixture's `requires`, the sandbox, and
// the test tools (chromium, a compose client) — installed as root, else named, before any service starts.
const { setupHost, shippedTaskDirs } = await import(path.join(root, 'dist/src/services/hostSetup.js'));
try {
  await setupHost({ tasks: shippedTaskDirs(true), tests: true, log: (line) => console.log(line) });
} catch (err) {
  console.error(err.message);
  process.exit(1);
}

const stateDir = path.join(root, '.lineage', 'test-services');
// A run killed before it could stop its services left them running: end them first.
const pidDir = path.join(stateDir, 'run');
if (existsSync(pidDir)) {
  for (const f of readdirSync(pidDir)) {
    try {
      process.kill(JSON.parse(readFileSync(path.join(pidDir, f), 'utf8')).pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
rmSync(stateDir, { recursive: true, force: true });
const external = Boolean(process.env.TEMPORAL_ADDRESS && process.env.MONGODB_URI);
const services = await startLocalServices({
  stateDir,
  temporalPort: await findFreePort(),
  uiPort: await findFreePort(),
  mongoPort: await findFreePort(),
  log: (line) => console.log(line),
});
for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => void services.stop().then(() => process.exit(130)));
process.env.TEMPORAL_ADDRESS = services.temporalAddress;
process.env.MONGODB_URI = services.mongoUri;
process.env.LINEAGE_TEST_UI_URL = services.uiUrl ?? '';
// As a user's shell would have it: `lineage status` reads Temporal's HTTP API through the Web UI.
process.env.TEMPORAL_UI_URL = services.uiUrl ?? '';
process.env.LINEAGE_HOME = path.join(root, '.lineage', 'test-home');
process.env.LINEAGE_DB = `lineage_test_${Date.now().toString(36)}`;
// A worker killed mid-trial (a run killed, or the worker-kill tests) leaves its checkouts' tmpfs
// mounted (src/runner/checkoutDisk.ts): unmounted before the tests and again after them.
const home = process.env.LINEAGE_HOME;
const unmountCheckouts = () => {
  for (const line of readFileSync('/proc/self/mounts', 'utf8').split('\n')) {
    const dir = line.split(' ')[1];
    if (dir?.startsWith(`${home}/`)) execFileSync('umount', ['--lazy', dir]);
  }
};
unmountCheckouts();
rmSync(home, { recursive: true, force: true });
console.log(`services: Temporal ${services.temporalAddress}${external ? ' (external)' : ''}, MongoDB ${services.mongoUri}`);

// `npm test -- NAME` runs only the test files whose path contains NAME.
const stats = await runMocha(path.join(root, 'dist/test'), args);
await services.stop();
unmountCheckouts();
report(stats);
