// Local services: the Temporal dev server (SQLite file + Web UI) and FerretDB
// (MongoDB wire protocol over SQLite), started as detached processes whose
// state lives under one state directory, so that a second start resumes the
// same workflows and documents.
//
//   <stateDir>/temporal.sqlite      Temporal's persistence
//   <stateDir>/ferretdb/            FerretDB's SQLite files
//   <stateDir>/logs/<name>.log      process output
//   <stateDir>/run/<name>.pid       {pid, port, ...} of a running process
//
// TEMPORAL_ADDRESS / MONGODB_URI point the same code at external services; then
// nothing is started for that service.

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import { MongoClient } from 'mongodb';
import { SA } from '../searchAttributes.js';
import { ensureBinaries, tail, type Log } from './provision.js';
import { repoRoot } from '../task/spec.js';

/** CLI spelling (`--search-attribute NAME=Type`) and IndexedValueType number of each type. */
const SA_TYPES: Record<SearchAttributeType, { cli: string; indexed: number }> = {
  TEXT: { cli: 'Text', indexed: 1 },
  KEYWORD: { cli: 'Keyword', indexed: 2 },
  INT: { cli: 'Int', indexed: 3 },
  DOUBLE: { cli: 'Double', indexed: 4 },
  BOOL: { cli: 'Bool', indexed: 5 },
  DATETIME: { cli: 'Datetime', indexed: 6 },
  KEYWORD_LIST: { cli: 'KeywordList', indexed: 7 },
};

/** Custom search attributes that campaigns and trials are indexed by (from src/searchAttributes.ts), name → type. */
export const SEARCH_ATTRIBUTES: Readonly<Record<string, SearchAttributeType>> = Object.fromEntries(
  Object.values(SA).map((k) => [k.name, k.type]),
);

export interface LocalServicesOptions {
  /** Where data, logs and pid files live (created when missing). */
  stateDir: string;
  temporalPort?: number; // default 7233
  uiPort?: number; // default 8233
  mongoPort?: number; // default 27017
  /** Where provisioned binaries live, as `<toolsDir>/bin`; default: the repository's `.lineage`. */
  toolsDir?: string;
  log?: Log;
}

export interface LocalServices {
  temporalAddress: string;
  mongoUri: string;
  uiUrl: string | null;
  /** The services this call started (a subset of 'temporal', 'ferretdb'); stop() ends exactly these. */
  started: string[];
  stop(): Promise<void>;
}

interface PidRecord {
  pid: number;
  port: number;
  uiPort?: number;
  bin: string;
  startedAt: string;
}

interface Running {
  name: string;
  pid: number;
  pidFile: string;
  child: ChildProcess | null;
}

const TEMPORAL_READY_MS = 60_000;
const MONGO_READY_MS = 30_000;
const STOP_GRACE_MS = 5_000;
/** Starts each run's section of a log file, so that errors show only the latest run. */
const LOG_MARK = '=== lineage: starting';

export async function startLocalServices(opts: LocalServicesOptions): Promise<LocalServices> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const stateDir = path.resolve(opts.stateDir);
  const toolsDir = path.resolve(opts.toolsDir ?? path.join(repoRoot(), '.lineage'));
  const externalTemporal = process.env.TEMPORAL_ADDRESS || null;
  const externalMongo = process.env.MONGODB_URI || null;

  await mkdir(path.join(stateDir, 'logs'), { recursive: true });
  await mkdir(path.join(stateDir, 'run'), { recursive: true });

  const need: ('temporal' | 'ferretdb')[] = [];
  if (!externalTemporal) need.push('temporal');
  if (!externalMongo) need.push('ferretdb');
  const bins = need.length ? await ensureBinaries(toolsDir, { only: need, log }) : {};

  const started: Running[] = [];
  const stop = async () => {
    const all = started.splice(0);
    await Promise.all(all.map((r) => stopProcess(r)));
  };

  try {
    // FerretDB first: it binds at once, before the dev server picks its random HTTP/metrics ports.
    let mongo: Promise<string>;
    if (externalMongo) {
      mongo = waitForMongo(externalMongo, MONGO_READY_MS, null).then(() => externalMongo);
    } else {
      mongo = startOrReuse({
        name: 'ferretdb',
        stateDir,
        port: opts.mongoPort ?? 27017,
        bin: bins.ferretdb!,
        args: (port) => ['--listen', `127.0.0.1:${port}`, '--data', path.join(stateDir, 'ferretdb')],
        ready: (rec, child) => waitForMongo(mongoUri(rec.port), MONGO_READY_MS, child),
        envHint: 'MONGODB_URI',
        started,
        log,
      }).then((rec) => mongoUri(rec.port));
    }

    let temporal: Promise<{ address: string; uiUrl: string | null }>;
    if (externalTemporal) {
      temporal = waitForTemporal(externalTemporal, TEMPORAL_READY_MS, null).then(async () => {
        // An external cluster may not allow operator calls: warn, do not fail.
        await ensureSearchAttributes(externalTemporal, log).catch((err: Error) =>
          log(`temporal: could not check/register search attributes on ${externalTemporal}: ${err.message}`),
        );
        return { address: externalTemporal, uiUrl: process.env.TEMPORAL_UI_URL || null };
      });
    } else {
      const uiPort = opts.uiPort ?? 8233;
      temporal = startOrReuse({
        name: 'temporal',
        stateDir,
        port: opts.temporalPort ?? 7233,
        uiPort,
        bin: bins.temporal!,
        args: (port) => [
          'server', 'start-dev',
          '--ip', '127.0.0.1',
          '--port', String(port),
          '--ui-port', String(uiPort),
          '--db-filename', path.join(stateDir, 'temporal.sqlite'),
          '--namespace', 'default',
          '--dynamic-config-value', 'frontend.enableServerVersionCheck=false',
          '--log-level', 'warn',
          ...Object.entries(SEARCH_ATTRIBUTES).flatMap(([k, t]) => ['--search-attribute', `${k}=${SA_TYPES[t].cli}`]),
        ],
        ready: (rec, child) => waitForTemporal(`127.0.0.1:${rec.port}`, TEMPORAL_READY_MS, child),
        envHint: 'TEMPORAL_ADDRESS',
        started,
        log,
      }).then(async (rec) => {
        const address = `127.0.0.1:${rec.port}`;
        await ensureSearchAttributes(address, log);
        return { address, uiUrl: `http://127.0.0.1:${rec.uiPort ?? uiPort}` };
      });
    }

    const [m, t] = await Promise.allSettled([mongo, temporal]);
    if (m.status === 'rejected') throw m.reason;
    if (t.status === 'rejected') throw t.reason;
    return {
      temporalAddress: t.value.address,
      mongoUri: m.value,
      uiUrl: t.value.uiUrl,
      started: started.map((r) => r.name),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
const handedOut = new Set<number>();

/** A free loopback port, never one this process handed out before (the OS may offer it twice). */
export async function findFreePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = net.createServer();
      srv.unref();
      srv.on('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const addr = srv.address();
        const p = typeof addr === 'object' && addr ? addr.port : 0;
        srv.close(() => resolve(p));
      });
    });
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

export function mongoUri(port: number): string {
  return `mongodb://127.0.0.1:${port}/`;
}

/** Registers any of SEARCH_ATTRIBUTES missing from the namespace (needed for external servers). */
export async function ensureSearchAttributes(address: string, log: Log, namespace = 'default'): Promise<void> {
  const conn = await Connection.connect({ address, connectTimeout: '10s' });
  try {
    const have = await conn.operatorService.listSearchAttributes({ namespace });
    const custom = have.customAttributes ?? {};
    const missing = Object.entries(SEARCH_ATTRIBUTES).filter(([k]) => !(k in custom));
    if (missing.length === 0) return;
    log(`temporal: registering search attributes ${missing.map(([k]) => k).join(', ')} on ${address}`);
    await conn.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map(([k, t]) => [k, SA_TYPES[t].indexed])),
    });
  } finally {
    await conn.close();
  }
}

// ---------------------------------------------------------------------------
// processes

interface StartSpec {
  name: string;
  stateDir: string;
  port: number;
  uiPort?: number;
  bin: string;
  args: (port: number) => string[];
  ready: (rec: PidRecord, child: ChildProcess | null) => Promise<void>;
  envHint: string;
  started: Running[];
  log: Log;
}

async function startOrReuse(s: StartSpec): Promise<PidRecord> {
  const pidFile = path.join(s.stateDir, 'run', `${s.name}.pid`);
  const logFile = path.join(s.stateDir, 'logs', `${s.name}.log`);

  const existing = await readPidRecord(pidFile);
  if (existing && isOurs(existing)) {
    if (existing.port !== s.port) {
      s.log(`${s.name}: already running from ${s.stateDir} on port ${existing.port} (pid ${existing.pid}); reusing it`);
    }
    try {
      await s.ready(existing, null);
    } catch (err) {
      throw withLogTail(err, logFile);
    }
    return existing;
  }
  if (existing) await rm(pidFile, { force: true });

  for (const [what, port] of [['port', s.port], ['UI port', s.uiPort]] as const) {
    if (port !== undefined && (await portAnswers(port))) {
      throw new Error(
        `lineage: ${s.name} ${what} ${port} on 127.0.0.1 is in use by a process not started from ${s.stateDir}. ` +
          `Choose another port, or use that server by setting ${s.envHint}.`,
      );
    }
  }

  const t0 = Date.now();
  const fd = openSync(logFile, 'a');
  writeSync(fd, `${LOG_MARK} ${new Date().toISOString()} ${s.bin} ${s.args(s.port).join(' ')}\n`);
  let child: ChildProcess;
  try {
    child = spawn(s.bin, s.args(s.port), {
      cwd: s.stateDir,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
  } finally {
    closeSync(fd);
  }
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', () => resolve());
    child.once('error', reject);
  });
  child.unref();
  const rec: PidRecord = {
    pid: child.pid!,
    port: s.port,
    ...(s.uiPort !== undefined ? { uiPort: s.uiPort } : {}),
    bin: s.bin,
    startedAt: new Date().toISOString(),
  };
  await writeFile(pidFile, `${JSON.stringify(rec)}\n`);
  const running: Running = { name: s.name, pid: rec.pid, pidFile, child };
  s.started.push(running);
  try {
    await s.ready(rec, child);
  } catch (err) {
    throw withLogTail(err, logFile);
  }
  s.log(`${s.name}: started on 127.0.0.1:${s.port} (pid ${rec.pid}, ${((Date.now() - t0) / 1000).toFixed(1)} s; log ${logFile})`);
  return rec;
}

async function stopProcess(r: Running): Promise<void> {
  const exited = r.child
    ? r.child.exitCode !== null || r.child.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((resolve) => r.child!.once('exit', () => resolve()))
    : null;
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-r.pid, sig); // the whole process group (spawned detached)
    } catch {
      try {
        process.kill(r.pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  const gone = async (ms: number) => {
    const deadline = Date.now() + ms;
    if (exited) {
      return Promise.race([exited.then(() => true), sleep(ms).then(() => false)]);
    }
    while (Date.now() < deadline) {
      if (!alive(r.pid)) return true;
      await sleep(100);
    }
    return !alive(r.pid);
  };
  if (alive(r.pid)) {
    signal('SIGTERM');
    if (!(await gone(STOP_GRACE_MS))) {
      signal('SIGKILL');
      await gone(STOP_GRACE_MS);
    }
  }
  await rm(r.pidFile, { force: true });
}

async function readPidRecord(file: string): Promise<PidRecord | null> {
  try {
    const rec = JSON.parse(await readFile(file, 'utf8')) as PidRecord;
    return typeof rec.pid === 'number' && typeof rec.port === 'number' ? rec : null;
  } catch {
    return null;
  }
}

/** Alive, not a zombie, and (where /proc exists) still running the recorded binary. */
function isOurs(rec: PidRecord): boolean {
  if (!alive(rec.pid)) return false;
  const cmdline = `/proc/${rec.pid}/cmdline`;
  if (existsSync('/proc/self/cmdline')) {
    try {
      const argv0 = readFileSync(cmdline, 'utf8').split('\0')[0] ?? '';
      return path.basename(argv0) === path.basename(rec.bin);
    } catch {
      return false;
    }
  }
  return true;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true; // no /proc: trust kill(0)
  }
}

function portAnswers(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

// ---------------------------------------------------------------------------
// readiness

function exitWatch(child: ChildProcess | null): () => string | null {
  return () => {
    if (!child) return null;
    if (child.exitCode !== null) return `exited with code ${child.exitCode}`;
    if (child.signalCode !== null) return `was killed by ${child.signalCode}`;
    return null;
  };
}

async function waitForTemporal(address: string, timeoutMs: number, child: ChildProcess | null): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const [host, portText] = splitHostPort(address);
  const exited = exitWatch(child);
  let last = 'no answer';
  while (Date.now() < deadline) {
    const why = exited();
    if (why) throw new Error(`Temporal dev server ${why} before it was ready`);
    if (await portAnswers(Number(portText), host)) {
      let conn: Connection | null = null;
      try {
        conn = await Connection.connect({ address, connectTimeout: '5s' });
        await conn.workflowService.getSystemInfo({});
        return;
      } catch (err) {
        last = (err as Error).message;
      } finally {
        await conn?.close().catch(() => undefined);
      }
    } else {
      last = `nothing listens on ${address}`;
    }
    await sleep(250);
  }
  throw new Error(`Temporal at ${address} was not ready within ${timeoutMs / 1000} s (${last})`);
}

async function waitForMongo(uri: string, timeoutMs: number, child: ChildProcess | null): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const exited = exitWatch(child);
  let last = 'no answer';
  while (Date.now() < deadline) {
    const why = exited();
    if (why) throw new Error(`FerretDB ${why} before it was ready`);
    const client = new MongoClient(uri, { serverSelectionTimeoutMS: 1_000, connectTimeoutMS: 1_000 });
    try {
      await client.connect();
      await client.db('admin').command({ ping: 1 });
      return;
    } catch (err) {
      last = (err as Error).message;
    } finally {
      await client.close().catch(() => undefined);
    }
    await sleep(250);
  }
  throw new Error(`MongoDB at ${uri} did not answer ping within ${timeoutMs / 1000} s (${last})`);
}

function splitHostPort(address: string): [string, string] {
  const i = address.lastIndexOf(':');
  if (i < 0) return [address, '7233'];
  const host = address.slice(0, i).replace(/^\[|\]$/g, '');
  return [host || '127.0.0.1', address.slice(i + 1)];
}

function withLogTail(err: unknown, logFile: string): Error {
  let text = '';
  try {
    const all = readFileSync(logFile, 'utf8');
    const at = all.lastIndexOf(LOG_MARK);
    text = tail((at >= 0 ? all.slice(at) : all).trimEnd(), 25);
  } catch {
    /* no log yet */
  }
  const msg = (err as Error).message ?? String(err);
  return new Error(text ? `${msg}\n--- last lines of ${logFile} ---\n${text}` : `${msg} (log: ${logFile})`);
}
