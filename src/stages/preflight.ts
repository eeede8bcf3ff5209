// preflight: what can be refused before any GPU second is spent — protected paths, syntax,
// projected artifact size.
import { execa } from 'execa';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import picomatch from 'picomatch';
import type { StageDeps } from '../stageDeps.js';
import type { PreflightResult, TrialInput } from '../types.js';
import { loadSnapshot, writeCheckout } from '../recipe/snapshot.js';
import { expandCommand, repoRoot } from '../task/spec.js';
import { runBudgeted } from '../runner/budgetedProcess.js';
import { trialEnv } from '../runner/trialEnv.js';

/** Finds the last stdout line that is a JSON object: evaluators report that way. */
export function lastJsonLine(text: string): Record<string, unknown> | null {
  const lines = text.trimEnd().split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!.trim();
    if (!line.startsWith('{')) continue;
    try {
      const v = JSON.parse(line);
      if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch {
      // not the report line
    }
  }
  return null;
}

export async function preflight(deps: StageDeps, input: TrialInput, sha: string, changedFiles: string[]): Promise<PreflightResult> {
  const { spec, evaluatorDir } = deps.task(input.task, input.preset);
  const isProtected = picomatch(['run/**', '.tmp/**', ...spec.protected], { dot: true });
  const hit = changedFiles.filter((f) => isProtected(f));
  if (hit.length) return { ok: false, label: 'illegal_edit', reason: `edits evaluator-owned paths: ${hit.join(', ')}` };

  const dir = await mkdtemp(path.join(os.tmpdir(), 'lineage-preflight-'));
  try {
    writeCheckout(dir, await loadSnapshot(deps.store, sha));
    const py = changedFiles.filter((f) => f.endsWith('.py'));
    if (py.length) {
      const res = await execa(deps.python, ['-c', 'import ast,sys\nfor f in sys.argv[1:]: ast.parse(open(f).read(), f)', ...py], {
        cwd: dir,
        reject: false,
        all: true,
        extendEnv: false,
        env: { PATH: '/usr/bin:/bin' },
      });
      if (res.exitCode !== 0) return { ok: false, label: 'preflight_crash', reason: `syntax error:\n${String(res.all).split('\n').slice(-6).join('\n')}` };
    }
    if (!spec.size?.project) return { ok: true };
    const command = expandCommand(spec.size.project, {
      python: deps.python,
      root: repoRoot(),
      evaluator: evaluatorDir,
      data: '',
      checkout: dir,
      run: path.join(dir, 'run'),
    });
    const env = trialEnv({
      checkout: dir,
      runDir: path.join(dir, 'run'),
      dataDir: '',
      seed: input.seed,
      device: 'cpu',
      cudaVisibleDevices: null,
      threads: 1,
      preset: input.preset,
      taskEnv: spec.env,
    });
    const out = await runBudgeted({
      command,
      cwd: dir,
      env,
      budgetS: 60,
      graceS: 5,
      memoryLimitMb: spec.memory_limit_mb,
      logFile: path.join(dir, '.preflight.log'),
      sandbox: { writable: [dir], readable: [evaluatorDir] },
    });
    const report = lastJsonLine(out.logTail);
    const projected = typeof report?.projected_bytes === 'number' ? report.projected_bytes : null;
    if (out.exitCode !== 0 || projected === null) {
      return {
        ok: false,
        label: 'preflight_crash',
        reason: `size projection failed (exit ${out.exitCode ?? out.signal}):\n${out.logTail.split('\n').slice(-8).join('\n')}`,
      };
    }
    if (projected > spec.size.cap_bytes) {
      return { ok: false, label: 'size_blocked', projectedBytes: projected, reason: `projected artifact ${projected} bytes > cap ${spec.size.cap_bytes}` };
    }
    return { ok: true, projectedBytes: projected };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
