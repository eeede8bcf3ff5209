// The local services layer against the real processes: the Temporal dev server
// and FerretDB started from a temporary state directory, reached with the real
// Temporal and MongoDB clients; their data survives a stop and a second start.
// Plus: docker-compose.yml validates with the compose client.

import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { execa } from 'execa';
import { MongoClient } from 'mongodb';
import { findFreePort, SEARCH_ATTRIBUTES, startLocalServices, type LocalServices } from '../src/services/local.js';
import { ensureBinaries, which } from '../src/services/provision.js';
import { repoRoot } from '../src/task/spec.js';

const quiet = () => undefined;

async function answers(address: string): Promise<boolean> {
  const [host, port] = address
    .replace(/^mongodb:\/\//, '')
    .replace(/\/$/, '')
    .split(':');
  return new Promise((resolve) => {
    const s = net.connect({ host: host!, port: Number(port) });
    s.setTimeout(500, () => (s.destroy(), resolve(false)));
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

async function withTemporal<T>(address: string, fn: (c: Connection) => Promise<T>): Promise<T> {
  const conn = await Connection.connect({ address });
  try {
    return await fn(conn);
  } finally {
    await conn.close();
  }
}

async function withMongo<T>(uri: string, fn: (c: MongoClient) => Promise<T>): Promise<T> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 5_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

describe('local services (Temporal dev server + FerretDB)', function () {
  this.timeout(120_000);

  let stateDir: string;
  let ports: { temporalPort: number; uiPort: number; mongoPort: number };
  const running: LocalServices[] = [];
  const savedEnv = {
    TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS,
    MONGODB_URI: process.env.MONGODB_URI,
    TEMPORAL_UI_URL: process.env.TEMPORAL_UI_URL,
  };
  const workflowId = `services-test-${Date.now()}`;

  const start = async (extra: Partial<Parameters<typeof startLocalServices>[0]> = {}) => {
    const s = await startLocalServices({ stateDir, ...ports, log: quiet, ...extra });
    running.push(s);
    return s;
  };

  before(async function () {
    // The code under test starts its own services; outside values would bypass it.
    delete process.env.TEMPORAL_ADDRESS;
    delete process.env.MONGODB_URI;
    delete process.env.TEMPORAL_UI_URL;
    stateDir = await mkdtemp(path.join(tmpdir(), 'lineage-services-'));
    ports = { temporalPort: await findFreePort(), uiPort: await findFreePort(), mongoPort: await findFreePort() };
  });

  after(async function () {
    for (const s of running.splice(0).reverse()) await s.stop();
    for (const [k, v] of Object.entries(savedEnv)) if (v !== undefined) process.env[k] = v;
    await rm(stateDir, { recursive: true, force: true });
  });

  it('provisioning is idempotent: once done, a second call does no work and is fast', async function () {
    this.timeout(30 * 60_000); // the first call may download / build on a fresh machine
    const toolsDir = path.join(repoRoot(), '.lineage');
    const first = await ensureBinaries(toolsDir, { log: quiet });
    const lines: string[] = [];
    const t0 = Date.now();
    const again = await ensureBinaries(toolsDir, { log: (l) => lines.push(l) });
    const ms = Date.now() - t0;
    assert.deepEqual(again, first);
    assert.deepEqual(lines, [], 'an already provisioned machine prints nothing');
    assert.ok(ms < 5_000, `second ensureBinaries took ${ms} ms`);
    const v = await execa(again.temporal!, ['--version']);
    assert.match(v.stdout, /^temporal version \d/);
  });

  it('starts both services and real clients can use them', async function () {
    const s = await start();
    assert.deepEqual([...s.started].sort(), ['ferretdb', 'temporal']);
    assert.equal(s.temporalAddress, `127.0.0.1:${ports.temporalPort}`);
    assert.equal(s.mongoUri, `mongodb://127.0.0.1:${ports.mongoPort}/`);
    assert.equal(s.uiUrl, `http://127.0.0.1:${ports.uiPort}`);

    await withTemporal(s.temporalAddress, async (conn) => {
      const list = await conn.workflowService.listNamespaces({});
      assert.ok(list.namespaces.some((n) => n.namespaceInfo?.name === 'default'));
      const ns = await conn.workflowService.describeNamespace({ namespace: 'default' });
      assert.equal(ns.namespaceInfo?.name, 'default');

      const attrs = await conn.operatorService.listSearchAttributes({ namespace: 'default' });
      const custom = attrs.customAttributes ?? {};
      const enumValue: Record<string, number> = { KEYWORD: 2, INT: 3, DOUBLE: 4 };
      assert.deepEqual(Object.keys(SEARCH_ATTRIBUTES).sort(), [
        'LineageCampaign',
        'LineageLabel',
        'LineageScore',
        'LineageSpecialist',
        'LineageTask',
        'LineageTrialIndex',
      ]);
      for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) {
        assert.equal(custom[name], enumValue[type], `search attribute ${name} should be ${type}`);
      }

      // A workflow execution (no worker needed) indexed by a custom search attribute.
      const client = new Client({ connection: conn });
      await client.workflow.start('servicesProbe', {
        taskQueue: 'services-test',
        workflowId,
        searchAttributes: { LineageCampaign: ['services-probe'], LineageTrialIndex: [7] },
      });
    });

    await withMongo(s.mongoUri, async (client) => {
      const trials = client.db('lineage_services_test').collection('trials');
      await trials.createIndex({ trialId: 1 }, { unique: true });
      await trials.insertOne({ trialId: 't-1', label: 'keep', score: 0.93, parent: null });
      await trials.insertOne({ trialId: 't-2', label: 'crash', score: null, parent: 't-1' });
      const kept = await trials.find({ label: 'keep' }).toArray();
      assert.deepEqual(
        kept.map((d) => d.trialId),
        ['t-1'],
      );
      await assert.rejects(trials.insertOne({ trialId: 't-1', label: 'discard' }), (err: { code?: number }) => err.code === 11000);
      const indexes = await trials.indexes();
      assert.ok(indexes.some((i) => i.unique && i.key.trialId === 1));
    });

    const ui = await fetch(s.uiUrl!);
    assert.equal(ui.status, 200);
  });

  it('reuses the services already running from the same state dir', async function () {
    const first = running[0]!;
    const again = await start();
    assert.deepEqual(again.started, []);
    assert.equal(again.temporalAddress, first.temporalAddress);
    assert.equal(again.mongoUri, first.mongoUri);
    await again.stop(); // started nothing, so stops nothing
    assert.ok(await answers(first.temporalAddress));
    assert.ok(await answers(first.mongoUri));
  });

  it('uses TEMPORAL_ADDRESS and MONGODB_URI when set, starting nothing', async function () {
    const first = running[0]!;
    const other = await mkdtemp(path.join(tmpdir(), 'lineage-services-ext-'));
    process.env.TEMPORAL_ADDRESS = first.temporalAddress;
    process.env.MONGODB_URI = first.mongoUri;
    process.env.TEMPORAL_UI_URL = 'http://ui.example:8080';
    try {
      const s = await startLocalServices({ stateDir: other, log: quiet, toolsDir: other /* nothing provisioned there */ });
      assert.deepEqual(s.started, []);
      assert.equal(s.temporalAddress, first.temporalAddress);
      assert.equal(s.mongoUri, first.mongoUri);
      assert.equal(s.uiUrl, 'http://ui.example:8080');
      await s.stop();
    } finally {
      delete process.env.TEMPORAL_ADDRESS;
      delete process.env.MONGODB_URI;
      delete process.env.TEMPORAL_UI_URL;
      await rm(other, { recursive: true, force: true });
    }
    assert.ok(await answers(first.temporalAddress));
  });

  it('stop() ends the processes; a second start on the same state dir has the same data', async function () {
    const first = running.shift()!;
    await first.stop();
    assert.equal(await answers(first.temporalAddress), false, 'Temporal still answers after stop()');
    assert.equal(await answers(first.mongoUri), false, 'FerretDB still answers after stop()');

    const s = await start();
    assert.deepEqual([...s.started].sort(), ['ferretdb', 'temporal']);

    await withMongo(s.mongoUri, async (client) => {
      const trials = client.db('lineage_services_test').collection('trials');
      const all = await trials
        .find({}, { projection: { _id: 0 } })
        .sort({ trialId: 1 })
        .toArray();
      assert.deepEqual(all, [
        { trialId: 't-1', label: 'keep', score: 0.93, parent: null },
        { trialId: 't-2', label: 'crash', score: null, parent: 't-1' },
      ]);
      const indexes = await trials.indexes();
      assert.ok(
        indexes.some((i) => i.unique && i.key.trialId === 1),
        'the unique index persisted',
      );
    });

    await withTemporal(s.temporalAddress, async (conn) => {
      const client = new Client({ connection: conn });
      const d = await client.workflow.getHandle(workflowId).describe();
      assert.equal(d.type, 'servicesProbe');
      assert.equal(d.status.name, 'RUNNING');
      // Visibility (search attributes) persisted too.
      let found: string[] = [];
      for (let i = 0; i < 40 && found.length === 0; i++) {
        found = [];
        for await (const w of client.workflow.list({ query: `LineageCampaign = 'services-probe'` })) found.push(w.workflowId);
        if (found.length === 0) await new Promise((r) => setTimeout(r, 250));
      }
      assert.deepEqual(found, [workflowId]);
      await client.workflow.getHandle(workflowId).terminate('test done');
    });
  });

  it('refuses a port held by a foreign process, and leaves nothing running', async function () {
    const foreign = net.createServer((sock) => sock.destroy());
    await new Promise<void>((resolve) => foreign.listen(0, '127.0.0.1', () => resolve()));
    const busy = (foreign.address() as net.AddressInfo).port;
    const dir = await mkdtemp(path.join(tmpdir(), 'lineage-services-busy-'));
    const temporalPort = await findFreePort();
    try {
      await assert.rejects(
        startLocalServices({ stateDir: dir, temporalPort, uiPort: await findFreePort(), mongoPort: busy, log: quiet }),
        (err: Error) => /in use by a process not started from/.test(err.message) && /MONGODB_URI/.test(err.message),
      );
      // Temporal may have been started alongside; the failed call must have stopped it.
      assert.equal(await answers(`127.0.0.1:${temporalPort}`), false);
    } finally {
      foreign.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('docker-compose.yml', function () {
  this.timeout(60_000);

  async function composeClient(): Promise<string[]> {
    const plugin = await execa('docker', ['compose', 'version'], { reject: false });
    if (plugin.exitCode === 0) return ['docker', 'compose'];
    if (await which('docker-compose')) return ['docker-compose'];
    throw new Error(
      'no compose client: install the Compose plugin (`docker compose`) or docker-compose ' +
        '(Debian: apt-get install -y --no-install-recommends docker-compose; .ci/run does this)',
    );
  }

  it('validates with the compose client and describes the deployment', async function () {
    const [cmd, ...pre] = await composeClient();
    const cwd = repoRoot();
    await execa(cmd!, [...pre, '-f', 'docker-compose.yml', 'config', '-q'], { cwd });
    const services = (await execa(cmd!, [...pre, '-f', 'docker-compose.yml', 'config', '--services'], { cwd })).stdout.split('\n').filter(Boolean).sort();
    for (const s of ['control-worker', 'gpu-worker', 'mongodb', 'postgresql', 'temporal', 'temporal-ui']) {
      assert.ok(services.includes(s), `service ${s} missing from ${services.join(', ')}`);
    }
    // YAML cannot import src/searchAttributes.ts: its temporal-setup list is held to it here.
    const loop = /for sa in ([^;]+); do/.exec(await readFile(path.join(cwd, 'docker-compose.yml'), 'utf8'))?.[1] ?? '';
    const cli = (t: string) => t[0] + t.slice(1).toLowerCase();
    assert.deepEqual(
      loop
        .split(/[\s\\]+/)
        .filter(Boolean)
        .sort(),
      Object.entries(SEARCH_ATTRIBUTES)
        .map(([k, t]) => `${k}=${cli(t)}`)
        .sort(),
    );
  });

  it('the validator really rejects a broken file', async function () {
    const [cmd, ...pre] = await composeClient();
    const dir = await mkdtemp(path.join(tmpdir(), 'lineage-compose-'));
    try {
      await writeFile(path.join(dir, 'docker-compose.yml'), 'services:\n  x:\n    image: busybox\n    no_such_key: 1\n');
      const r = await execa(cmd!, [...pre, '-f', 'docker-compose.yml', 'config', '-q'], { cwd: dir, reject: false });
      assert.notEqual(r.exitCode, 0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
