// `npm run bench`: builds, starts the real services on free ports, and runs the benchmarks
// side by side in one process, so figures are comparable as ratios on a noisy machine.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
const { startLocalServices, findFreePort } = await import(path.join(root, 'dist/src/services/local.js'));
const stateDir = path.join(root, '.lineage', 'bench-services');
rmSync(stateDir, { recursive: true, force: true });
const services = await startLocalServices({ stateDir, temporalPort: await findFreePort(), uiPort: await findFreePort(), mongoPort: await findFreePort(), log: () => undefined });
let failed = false;
try {
  const { Store } = await import(path.join(root, 'dist/src/store/db.js'));
  const dbName = `lineage_bench_${Date.now().toString(36)}`;
  const store = await Store.connect(services.mongoUri, dbName);
  // `npm run bench -- report` runs only the benchmarks named.
  const only = process.argv.slice(2);
  const want = (name) => !only.length || only.includes(name);
  if (want('view')) {
    const { benchLineageView } = await import(path.join(root, 'dist/bench/lineageView.js'));
    for (const line of await benchLineageView(store)) console.log(line);
  }
  await store.db.dropDatabase();
  await store.close();
  if (want('report')) {
    // A database of its own: holding the view bench's 11,100 synthetic trials too would make every
    // trial query scan them (FerretDB filters in Go), so the figures would depend on the bench order.
    const reportStore = await Store.connect(services.mongoUri, `${dbName}_report`);
    const { benchReport } = await import(path.join(root, 'dist/bench/report.js'));
    for (const line of await benchReport(reportStore, services.mongoUri)) console.log(line);
    await reportStore.db.dropDatabase();
    await reportStore.close();
  }
  if (want('scoring')) {
    const { benchScoring } = await import(path.join(root, 'dist/bench/scoring.js'));
    for (const line of await benchScoring()) console.log(line);
  }
  if (want('cli')) {
    const { benchCliStart } = await import(path.join(root, 'dist/bench/cliStart.js'));
    for (const line of await benchCliStart(services.temporalAddress, services.uiUrl)) console.log(line);
  }
} catch (err) {
  failed = true;
  console.error(err);
} finally {
  await services.stop();
}
process.exit(failed ? 1 : 0);
