// `node scripts/bench-proposers.mjs`: the offline heuristic against the Optuna proposer, as real
// campaigns on the real services and CPU slots. Per task, arm and seed: best score after 8 and 20
// trials (from the trial documents, in index order), duplicates the proposers chose and had
// refused before training, and duplicates that trained (recipes by tree hash; must be 0).
//   --tasks bowl,golf-mini   task names, or test fixture names (bowl, toy)
//   --arms offline,optuna-tpe,optuna-cmaes   --seeds 1,2,3   --trials 20   --checkpoints 8,20
//   --slots 2   --threads 1   --out bench-proposers.json (rows, appended as campaigns finish)
import { execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: o } = parseArgs({
  options: {
    tasks: { type: 'string', default: 'bowl,golf-mini' },
    arms: { type: 'string', default: 'offline,optuna-tpe' },
    seeds: { type: 'string', default: '1,2,3' },
    trials: { type: 'string', default: '20' },
    checkpoints: { type: 'string', default: '8,20' },
    slots: { type: 'string', default: '2' },
    threads: { type: 'string', default: '1' },
    out: { type: 'string', default: '' },
  },
});
const list = (s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
const trials = Number(o.trials);
const checkpoints = list(o.checkpoints).map(Number);
const fixture = (t) => path.join(root, 'test/fixtures/tasks', t);
const taskRef = (t) => (existsSync(path.join(root, 'tasks', t)) ? t : fixture(t));
const proposerOf = (arm) => (arm === 'offline' ? { kind: 'offline' } : { kind: 'optuna', sampler: arm.replace(/^optuna-/, '') });

execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
const dist = (m) => import(path.join(root, 'dist', m));
const { startLocalServices, findFreePort } = await dist('src/services/local.js');
// A folder of its own per run: two benchmark runs side by side must not share service files.
mkdirSync(path.join(root, '.lineage'), { recursive: true });
const stateDir = mkdtempSync(path.join(root, '.lineage', 'bench-proposers-'));
const services = await startLocalServices({
  stateDir,
  temporalPort: await findFreePort(),
  uiPort: await findFreePort(),
  mongoPort: await findFreePort(),
  log: () => undefined,
});
process.env.TEMPORAL_ADDRESS = services.temporalAddress;
process.env.MONGODB_URI = services.mongoUri;
process.env.LINEAGE_DB = `lineage_bench_proposers_${Date.now().toString(36)}`;
process.env.LINEAGE_HOME = mkdtempSync(path.join(os.tmpdir(), 'lineage-bench-proposers-'));
// mkdtemp makes it 0700; the sandboxed trial user must be able to pass through to its slot folders.
chmodSync(process.env.LINEAGE_HOME, 0o755);

let failed = false;
const workers = [];
try {
  const { StageDeps } = await dist('src/stageDeps.js');
  const { connectWorker, createControlWorker, createSlotWorkers } = await dist('src/workerHost.js');
  const { cpuSlots } = await dist('src/runner/slot.js');
  const { loadSnapshot } = await dist('src/recipe/snapshot.js');
  const { recipeTreeHash } = await dist('src/recipe/treeHash.js');
  const { CONTROL_QUEUE } = await dist('src/ids.js');
  const { Client, Connection } = await import('@temporalio/client');
  const deps = await StageDeps.connect();
  const connection = await connectWorker();
  workers.push(await createControlWorker(deps, connection), ...(await createSlotWorkers(deps, connection, cpuSlots(Number(o.slots), Number(o.threads)))));
  const running = Promise.all(workers.map((w) => w.run()));
  const client = new Client({ connection: await Connection.connect({ address: services.temporalAddress }) });

  async function measure(id, direction) {
    const docs = await deps.store.trials.find({ campaignId: id }).sort({ index: 1 }).toArray();
    const better = (a, b) => (b === null ? a : a === null ? b : direction === 'minimize' ? Math.min(a, b) : Math.max(a, b));
    const best = {};
    for (const n of checkpoints)
      best[n] = docs.filter((d) => d.index <= n && (d.label === 'keep' || d.label === 'discard')).reduce((b, d) => better(d.score, b), null);
    const trained = new Map();
    let trainedDuplicates = 0;
    for (const d of docs.filter((d) => d.sha && d.train)) {
      const h = recipeTreeHash(await loadSnapshot(deps.store, d.sha));
      if (trained.has(h)) trainedDuplicates++;
      trained.set(h, d.index);
    }
    const labels = {};
    for (const d of docs) labels[d.label] = (labels[d.label] ?? 0) + 1;
    const refused = docs.reduce((n, d) => n + (d.proposal?.duplicatesRefused ?? 0), 0);
    return { best, baseline: docs[0]?.score ?? null, refused, trainedDuplicates, labels, trials: docs.length - 1 };
  }

  const jobs = [];
  for (const task of list(o.tasks)) for (const arm of list(o.arms)) for (const seed of list(o.seeds).map(Number)) jobs.push({ task, arm, seed });
  const rows = [];
  // As many campaigns at once as there are slots, each one trial at a time (deterministic by seed).
  let next = 0;
  const t0 = Date.now();
  async function lane() {
    while (next < jobs.length) {
      const job = jobs[next++];
      const id = `bench-${job.task}-${job.arm}-s${job.seed}-${Date.now().toString(36)}`;
      const started = Date.now();
      const input = { campaignId: id, task: taskRef(job.task), budget: { trials }, parallelism: 1, proposer: proposerOf(job.arm), seed: job.seed };
      const handle = await client.workflow.start('campaign', { workflowId: id, taskQueue: CONTROL_QUEUE, args: [input] });
      await handle.result();
      const campaign = await deps.store.campaigns.findOne({ _id: id });
      const row = { ...job, id, minutes: (Date.now() - started) / 60_000, ...(await measure(id, campaign.metric.direction)) };
      rows.push(row);
      if (o.out) appendFileSync(o.out, JSON.stringify(row) + '\n');
      console.log(
        `[${((Date.now() - t0) / 60_000).toFixed(1)} min] ${job.task} ${job.arm} seed ${job.seed}: best@${checkpoints.join('/')} ${checkpoints.map((n) => row.best[n]?.toPrecision(5)).join(' / ')}, refused ${row.refused}, trained duplicates ${row.trainedDuplicates}, labels ${JSON.stringify(row.labels)}`,
      );
    }
  }
  await Promise.all(Array.from({ length: Number(o.slots) }, lane));

  console.log(
    '\n| task | arm | seeds | ' + checkpoints.map((n) => `best after ${n} (mean; per seed)`).join(' | ') + ' | duplicates refused | duplicates trained |',
  );
  console.log('|---|---|---|' + checkpoints.map(() => '---|').join('') + '---|---|');
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  for (const task of list(o.tasks)) {
    for (const arm of list(o.arms)) {
      const mine = rows.filter((r) => r.task === task && r.arm === arm).sort((a, b) => a.seed - b.seed);
      if (!mine.length) continue;
      const cells = checkpoints.map((n) => {
        const v = mine.map((r) => r.best[n]).filter((x) => x !== null);
        return `${v.length ? mean(v).toPrecision(5) : '—'} (${mine.map((r) => r.best[n]?.toPrecision(4) ?? '—').join(', ')})`;
      });
      console.log(
        `| ${task} | ${arm} | ${mine.map((r) => r.seed).join(',')} | ${cells.join(' | ')} | ${mine.reduce((a, r) => a + r.refused, 0)} | ${mine.reduce((a, r) => a + r.trainedDuplicates, 0)} |`,
      );
    }
  }
  for (const w of workers) w.shutdown();
  await running;
  await deps.store.db.dropDatabase();
  await deps.close();
} catch (err) {
  failed = true;
  console.error(err);
  for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
} finally {
  await services.stop();
  rmSync(process.env.LINEAGE_HOME, { recursive: true, force: true });
  rmSync(stateDir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
