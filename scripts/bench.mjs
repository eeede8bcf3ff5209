// `npm run bench`: builds, starts the real services on free ports, and runs the benchmarks
// side by side in one process, so figures are comparable as ratios on a noisy machine.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
const { startLocalServices, findFreePort } = await import(path.join(root, 'dist/src/services/local.js'));
const stateDir = path.join(root, '.lineage', 'bench-services');
rmSync(stateDir, { recursive: true, force: true });
const services = await startLocalServices({
  stateDir,
  temporalPort: await findFreePort(),
  uiPort: await findFreePort(),
  mongoPort: await findFreePort(),
  log: () => undefined,
});
let failed = false;
try {
  const { Store } = await import(path.join(root, 'dist/src/store/db.js'));
  const dbName = `lineage_bench_${Date.now().toString(36)}`;
  const store = await Store.connect(services.mongoUri, dbName);
  // `npm run bench -- report` runs only the benchmarks named; `--flag value` pairs go to the dispatch bench.
  const { values: flags, positionals: only } = parseArgs({
    allowPositionals: true,
    options: Object.fromEntries(
      ['train-s', 'rounds', 'slots', 'latencies', 'keep-rates', 'scale-slots', 'scale-train-s', 'scale-rounds', 'orchestration-train-s'].map((k) => [
        k,
        { type: 'string' },
      ]),
    ),
  });
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
  if (want('dispatch')) {
    const list = (s, d) => (s ?? d).split(',').map(Number);
    process.env.TEMPORAL_ADDRESS = services.temporalAddress;
    process.env.MONGODB_URI = services.mongoUri;
    process.env.LINEAGE_DB = `${dbName}_dispatch`;
    process.env.LINEAGE_HOME = mkdtempSync(path.join(os.tmpdir(), 'lineage-bench-dispatch-'));
    // mkdtemp makes it 0700; the sandboxed trial user must be able to pass through to its slot folders.
    chmodSync(process.env.LINEAGE_HOME, 0o755);
    const { StageDeps } = await import(path.join(root, 'dist/src/stageDeps.js'));
    const { connectWorker, createControlWorker } = await import(path.join(root, 'dist/src/workerHost.js'));
    const { Client, Connection } = await import('@temporalio/client');
    const { benchDispatch } = await import(path.join(root, 'dist/bench/dispatch.js'));
    const deps = await StageDeps.connect();
    const connection = await connectWorker();
    const control = await createControlWorker(deps, connection);
    const running = control.run();
    const client = new Client({ connection: await Connection.connect({ address: services.temporalAddress }) });
    try {
      const lines = await benchDispatch(
        deps,
        connection,
        client,
        {
          trainS: Number(flags['train-s'] ?? 6),
          rounds: Number(flags.rounds ?? 6),
          slotCounts: list(flags.slots, '2,16'),
          latencies: list(flags.latencies, '0.3,1'),
          keepRates: list(flags['keep-rates'], '0.2'),
          scaleSlots: list(flags['scale-slots'], '1,8,64'),
          scaleTrainS: Number(flags['scale-train-s'] ?? 30),
          scaleRounds: Number(flags['scale-rounds'] ?? 3),
        },
        (line) => process.stderr.write(`${line}\n`),
      );
      for (const line of lines) console.log(line);
    } finally {
      control.shutdown();
      await running;
      await client.connection.close();
      await deps.close?.();
    }
  }
  if (want('orchestration')) {
    // After the dispatch bench: its stand-in workers poll the same queues the real ones do.
    const { benchOrchestration } = await import(path.join(root, 'dist/bench/dispatch.js'));
    const lines = await benchOrchestration(
      services.temporalAddress,
      (flags['scale-slots'] ?? '1,8,64').split(',').map(Number),
      Number(flags['orchestration-train-s'] ?? 20),
      Number(flags['scale-rounds'] ?? 3),
      (line) => process.stderr.write(`${line}\n`),
    );
    for (const line of lines) console.log(line);
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
