// Host-side red team: a trial's code attacks the machine it runs on. Each attack runs through
// runBudgeted (the current sandbox) and must be blocked or killed, with the outcome labelled;
// its control runs the same attack under the old sandbox (oldSandbox.ts) and shows it worked.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { runBudgeted, type BudgetedRun } from '../../src/runner/budgetedProcess.js';
import { freshCheckout, removeCheckout } from '../../src/runner/checkoutDisk.js';
import { requireSandbox } from '../../src/runner/sandbox.js';
import { judge } from '../../src/judge.js';
import type { RunOutcome, TrainResult } from '../../src/types.js';
import { oldRun } from './oldSandbox.js';
import { processesRunning } from '../support/processes.js';

const PY = '/usr/bin/python3';
const home = mkdtempSync(path.join(os.tmpdir(), 'lineage-redteam-home-'));
chmodSync(home, 0o711); // as a state folder is: passable, not listable
const checkout = path.join(home, 'slots', 'cpu0', 'trial-a');
const otherCheckout = path.join(home, 'slots', 'cpu1', 'trial-b');
const heldOut = path.join(home, 'data', 'val.bin');
const env = { PATH: '/usr/bin:/bin', HOME: '/tmp', PYTHONDONTWRITEBYTECODE: '1' };

function run(script: string, o: Partial<BudgetedRun> = {}): Promise<RunOutcome> {
  return runBudgeted({
    command: [PY, '-c', script],
    cwd: checkout,
    env,
    budgetS: 20,
    graceS: 1,
    memoryLimitMb: 512,
    logFile: path.join(home, `run-${Date.now()}.log`),
    ...o,
  });
}
function control(script: string, o: { budgetS?: number; memoryLimitMb?: number; kind?: 'bwrap' | 'setpriv' } = {}) {
  return oldRun(o.kind ?? 'setpriv', [PY, '-c', script], { cwd: checkout, env, budgetS: o.budgetS ?? 20, memoryLimitMb: o.memoryLimitMb ?? 512 });
}

/** The label the judge gives a train run that ended like this. */
function labelOf(r: RunOutcome): string {
  const train: TrainResult = { ...r, slotQueue: 'q', host: 'h', slot: 's', attempt: 1 };
  const evaluate = {
    exitCode: 0,
    signal: null,
    timedOut: false,
    overBudget: false,
    memoryExceeded: false,
    wallS: 1,
    logTail: '',
    report: { metric: 1, metrics: {}, label: null, reason: '' },
  };
  return judge({
    runs: [{ train, evaluate }],
    direction: 'minimize',
    rule: { minDelta: 0, noiseSigmas: 0 },
    best: 2,
    baselineSpread: null,
    trainBudgetS: 20,
    evalBudgetS: 20,
  }).label;
}

describe('red team: the host', function () {
  this.timeout(120_000);
  before(() => {
    requireSandbox();
    mkdirSync(otherCheckout, { recursive: true });
    writeFileSync(path.join(otherCheckout, 'train.py'), 'honest\n');
    mkdirSync(path.dirname(heldOut), { recursive: true });
    writeFileSync(heldOut, 'held-out bytes\n');
  });
  beforeEach(() => {
    freshCheckout(checkout, 32);
  });
  after(() => {
    removeCheckout(checkout);
    rmSync(home, { recursive: true, force: true });
  });

  it('writes outside the checkout: other slots, held-out data and the state folder are invisible', async () => {
    const attack = `
import os
for p in [${JSON.stringify(path.join(otherCheckout, 'train.py'))}, ${JSON.stringify(heldOut)}]:
    try:
        open(p, "w").write("sabotaged\\n"); print("WROTE", p)
    except OSError as e:
        print("refused", p, e.strerror)
print("home visible", os.path.exists(${JSON.stringify(home)} + "/data"))
`;
    const r = await run(attack);
    assert.equal(r.exitCode, 0, r.logTail);
    assert.doesNotMatch(r.logTail, /WROTE/);
    assert.match(r.logTail, /home visible False/);
    assert.equal(readFileSync(path.join(otherCheckout, 'train.py'), 'utf8'), 'honest\n');
    assert.equal(readFileSync(heldOut, 'utf8'), 'held-out bytes\n');

    const c = await control(attack);
    assert.match(c.log, /WROTE .*trial-b\/train.py/);
    assert.match(c.log, /WROTE .*val.bin/);
    writeFileSync(path.join(otherCheckout, 'train.py'), 'honest\n');
    writeFileSync(heldOut, 'held-out bytes\n');
  });

  it('reads /proc of other processes: a worker environment with a secret stays unreadable', async () => {
    const secret = `sk-fake-${Math.random().toString(36).slice(2)}`;
    const worker: ChildProcess = spawn('sleep', ['300'], { env: { ...process.env, FAKE_API_KEY: secret }, stdio: 'ignore' });
    try {
      const attack = `
import os
found = []
for p in os.listdir("/proc"):
    if p.isdigit():
        try:
            if ${JSON.stringify(secret)}.encode() in open(f"/proc/{p}/environ", "rb").read(): found.append(p)
        except OSError: pass
print("pids seen", len([p for p in os.listdir("/proc") if p.isdigit()]))
print("SECRET FOUND" if found else "no secret")
`;
      const r = await run(attack);
      assert.equal(r.exitCode, 0, r.logTail);
      assert.match(r.logTail, /no secret/);
      const c = await control(attack);
      assert.match(c.log, /SECRET FOUND/);
    } finally {
      worker.kill('SIGKILL');
    }
  });

  it('network to localhost: a listening port is unreachable', async () => {
    const server = net.createServer((s) => s.end('HELLO-FROM-HOST\n'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const attack = `
import socket
try:
    s = socket.create_connection(("127.0.0.1", ${port}), timeout=3); print("GOT", s.recv(64))
except OSError as e:
    print("no network", e.strerror)
`;
      const r = await run(attack);
      assert.match(r.logTail, /no network/);
      const c = await control(attack);
      assert.match(c.log, /GOT b'HELLO-FROM-HOST/);
    } finally {
      server.close();
    }
  });

  it('/dev/shm hand-off: what one run leaves there, the next run does not see', async () => {
    const name = `/dev/shm/lineage-handoff-${process.pid}`;
    const leave = `open(${JSON.stringify(name)}, "w").write("validation batch")`;
    const pick = `import os\nprint("HANDED OFF" if os.path.exists(${JSON.stringify(name)}) else "nothing handed off")`;
    await run(leave);
    const r = await run(pick);
    assert.match(r.logTail, /nothing handed off/);
    assert.equal(existsSync(name), false);
    await oldRun('bwrap', [PY, '-c', leave], { cwd: checkout, env, budgetS: 20, memoryLimitMb: 512 });
    const c = await oldRun('bwrap', [PY, '-c', pick], { cwd: checkout, env, budgetS: 20, memoryLimitMb: 512 });
    assert.match(c.log, /HANDED OFF/);
    rmSync(name, { force: true });
  });

  it('memory in a child of its own process group is counted and killed', async () => {
    // The child leaves the process group (setsid) and holds 400 MB against a 256 MB limit.
    const attack = `
import os, time
if os.fork() == 0:
    os.setsid()
    x = bytearray(400 * 1024 * 1024)
    for i in range(0, len(x), 4096): x[i] = 1
    print("child holds 400 MB", flush=True)
    time.sleep(6)
    os._exit(0)
os.wait()
print("parent done", flush=True)
`;
    const r = await run(attack, { memoryLimitMb: 256 });
    assert.equal(r.memoryExceeded, true, r.logTail);
    assert.doesNotMatch(r.logTail, /child holds/);
    assert.match(r.logTail, /memory limit 256 MB/);
    assert.equal(labelOf(r), 'crash');
    const c = await oldRun('bwrap', [PY, '-c', attack], { cwd: checkout, env, budgetS: 30, memoryLimitMb: 256 });
    assert.equal(c.memoryExceeded, false);
    assert.match(c.log, /child holds 400 MB[\s\S]*parent done/);
  });

  it('a daemon does not survive the run, in either mode', async () => {
    const marker = `lineage-daemon-${process.pid}-${Math.random().toString(36).slice(2)}`;
    const attack = `
import os, subprocess
subprocess.Popen(["/bin/bash", "-c", "exec -a ${marker} sleep 120"], start_new_session=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print("daemon started")
`;
    const r = await run(attack);
    assert.match(r.logTail, /daemon started/);
    assert.deepEqual(processesRunning(marker), []);
    // Without bubblewrap's PID namespace, the cgroup alone ends it, and says so.
    process.env.LINEAGE_SANDBOX = 'off';
    try {
      const u = await run(attack);
      assert.deepEqual(processesRunning(marker), []);
      assert.match(u.logTail, /process\(es\) still running in the run's cgroup after its command exited/);
    } finally {
      delete process.env.LINEAGE_SANDBOX;
    }
    await control(attack);
    const survivors = processesRunning(marker);
    assert.ok(survivors.length > 0, 'the old setpriv fallback left the daemon running');
    for (const pid of survivors) process.kill(pid, 'SIGKILL');
  });

  it("more threads than the slot get no more than the slot's CPU", async () => {
    // Two busy processes for 3 s on a one-core slot. The share of a loaded machine varies, so
    // the deterministic measure is the set of cores the kernel lets the run use; the CPU
    // seconds per wall second are checked against the quota too.
    const attack = `
import os, time, multiprocessing as mp
def spin(t):
    end = time.time() + t
    while time.time() < end: pass
t0 = time.time()
ps = [mp.Process(target=spin, args=(3,)) for _ in range(2)]
[p.start() for p in ps]; [p.join() for p in ps]
c = os.times()
print("cores used %.2f" % ((c.children_user + c.children_system) / (time.time() - t0)))
print("cores allowed", len(os.sched_getaffinity(0)))
`;
    const r = await run(attack, { cpus: 1 });
    const used = Number(/cores used ([\d.]+)/.exec(r.logTail)?.[1]);
    assert.ok(used <= 1.1, `used ${used} cores on a 1-core slot`);
    assert.match(r.logTail, /^cores allowed 1$/m);
    const c = await control(attack);
    assert.match(c.log, new RegExp(`^cores allowed ${os.availableParallelism()}$`, 'm'));
    assert.ok(os.availableParallelism() > 1, 'this check needs a machine with more than one core');
  });

  it('a fork bomb is bounded by the pids limit and ends labelled at its budget', async () => {
    // The bomb in a subshell, then exec: the run's own shell needs no fork once the pids are gone
    // (dash exits when it cannot fork), so the run lasts to its budget.
    const bomb = ['/bin/sh', '-c', '(b() { b | b & }; b); exec sleep 30'];
    const r = await runBudgeted({
      command: bomb,
      cwd: checkout,
      env,
      budgetS: 3,
      graceS: 1,
      memoryLimitMb: 512,
      pids: 64,
      logFile: path.join(home, 'bomb.log'),
    });
    assert.match(r.logTail, /fork\(s\) refused at the pids limit 64/);
    assert.equal(r.timedOut, true, JSON.stringify({ ...r, logTail: r.logTail.slice(-400) }));
    assert.equal(labelOf(r), 'train_budget_overrun');
    // Control, bounded: 200 processes at once, which the old sandbox let start.
    const many = 'import subprocess\nps = [subprocess.Popen(["sleep", "3"]) for _ in range(200)]\nprint("started", len(ps))\n[p.wait() for p in ps]';
    const blocked = await run(many, { pids: 64 });
    assert.doesNotMatch(blocked.logTail, /started 200/);
    const c = await control(many);
    assert.match(c.log, /started 200/);
  });

  it("a disk flood fills only the trial's own bounded checkout and /tmp", async () => {
    const flood = (dir: string) => `
import os
n = 0
try:
    with open(os.path.join(${JSON.stringify(dir)}, "flood.bin"), "wb") as f:
        for _ in range(64):
            f.write(b"x" * (1 << 20)); f.flush(); n += 1
    print("wrote 64 MB")
except OSError as e:
    print("stopped after", n, "MB:", e.strerror)
`;
    const r = await run(flood('.'));
    assert.match(r.logTail, /stopped after \d+ MB: No space left on device/);
    assert.equal(r.exitCode, 0);
    const t = await run(flood('/tmp'), { sandbox: { writable: [checkout], tmpMb: 16 } });
    assert.match(t.logTail, /stopped after 1[0-9] MB: No space left on device/);
    removeCheckout(checkout);
    mkdirSync(checkout, { recursive: true });
    const c = await control(flood('.'));
    assert.match(c.log, /wrote 64 MB/);
  });
});
