// bench-mini's trusted scorer on real runs of its recipe, shrunk to seconds, run the way the
// harness runs them: one train per seed (LINEAGE_SEED = 1000 + i) in its own fresh checkout,
// the outputs collected into seed_<i>/, then score.py with the shared model runner. A model below
// the accuracy gate is gate_miss (its time still reported: harness seconds plus the runner's own),
// fewer than 3 seeds is gate_miss, a NaN loss is diverged, the same model under three seeds is
// suspect, and a model whose rows depend on their batch-mates is an illegal crash.
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { loadTask } from '../../src/task/spec.js';
import { hashEvaluator, SCORING_LIB } from '../../src/task/evaluatorHash.js';
import { ensureTaskData } from '../../src/stages/prepareData.js';
import { lineageHome, pythonPath } from '../../src/config.js';
import { readKnob } from '../../src/proposers/knobLines.js';

type Report = { metric: number | null; metrics: Record<string, unknown>; label: string | null; reason: string };

describe('bench-mini scorer rules', function () {
  this.timeout(400_000);
  const task = loadTask('bench-mini');
  const OUTPUTS = ['model.pt', 'config.json', 'train_metrics.json'];
  let data: string;
  let tinyOutputs: string;
  before(async () => {
    data = await ensureTaskData(task, hashEvaluator(task.evaluatorDir), lineageHome(), pythonPath());
    tinyOutputs = await trainSeeds(tiny, [1000, 1001, 1002]);
  });

  /** The recipe with some knobs changed (and model.py edited), in a fresh folder. */
  function checkout(knobs: Record<string, string>, modelEdit?: [string, string]): string {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lineage-bench-'));
    cpSync(task.recipeDir, dir, { recursive: true });
    let source = readFileSync(path.join(dir, 'train.py'), 'utf8');
    for (const [name, value] of Object.entries(knobs)) {
      const k = readKnob(source, name);
      assert.ok(k, `knob ${name} in train.py`);
      source = source.replace(k.line, k.line.replace(`= ${k.value}`, `= ${value}`));
    }
    writeFileSync(path.join(dir, 'train.py'), source);
    if (modelEdit) {
      const model = readFileSync(path.join(dir, 'model.py'), 'utf8');
      assert.ok(model.includes(modelEdit[0]), 'model.py edit applies');
      writeFileSync(path.join(dir, 'model.py'), model.replace(modelEdit[0], modelEdit[1]));
    }
    return dir;
  }

  /** One train per seed, each in its own fresh checkout; the declared outputs into <outputs>/seed_<i>/. */
  async function trainSeeds(knobs: Record<string, string>, seeds: number[]): Promise<string> {
    const outputs = mkdtempSync(path.join(os.tmpdir(), 'lineage-bench-out-'));
    for (const [i, seed] of seeds.entries()) {
      const dir = checkout(knobs);
      const run = path.join(dir, 'run');
      const env = {
        PATH: '/usr/bin:/bin',
        OMP_NUM_THREADS: '1',
        OMP_WAIT_POLICY: 'PASSIVE',
        LINEAGE_SEED: String(seed),
        LINEAGE_DATA_DIR: path.join(data, 'train'),
        LINEAGE_RUN_DIR: run,
      };
      await execa(pythonPath(), ['train.py'], { cwd: dir, env, extendEnv: false });
      mkdirSync(path.join(outputs, `seed_${i}`));
      for (const f of OUTPUTS) copyFileSync(path.join(run, f), path.join(outputs, `seed_${i}`, f));
    }
    return outputs;
  }

  /** score.py as the harness runs it (no sandbox here: the report is printed when LINEAGE_REPORT_FD is unset). */
  async function score(outputs: string, runnerCheckout = checkout({})): Promise<Report> {
    const runnerArgv = [
      pythonPath(),
      '-I',
      '-B',
      path.join(SCORING_LIB, 'runner.py'),
      '--loader',
      path.join(task.evaluatorDir, 'model_runner.py'),
      '--checkout',
      runnerCheckout,
      '--outputs',
      outputs,
    ];
    const env = {
      PATH: '/usr/bin:/bin',
      OMP_NUM_THREADS: '1',
      LINEAGE_SCORING_LIB: SCORING_LIB,
      LINEAGE_RUNNER_ARGV: JSON.stringify(runnerArgv),
      LINEAGE_RUNNER_ENV: JSON.stringify({ PATH: '/usr/bin:/bin', OMP_NUM_THREADS: '1', HOME: '/tmp' }),
      LINEAGE_EVAL_BUDGET_S: '120',
    };
    const out = await execa(
      pythonPath(),
      ['-I', '-B', path.join(task.evaluatorDir, 'score.py'), '--outputs', outputs, '--data', data, '--train-seconds', '12.5'],
      { env, extendEnv: false },
    );
    return JSON.parse(out.stdout.trim().split('\n').at(-1)!) as Report;
  }

  const tiny = { EPOCHS: '0.05', TRAIN_SUBSET_FRAC: '0.1', WIDTH: '8' };

  it("gate_miss below the mean accuracy gate, with harness time plus the runner's own seconds as its metric", async () => {
    const r = await score(tinyOutputs);
    assert.equal(r.label, 'gate_miss', r.reason);
    assert.match(r.reason, /mean test accuracy 0\.\d+ over 3 seeds < gate 0\.8800/);
    assert.equal(r.metrics.train_seconds, 12.5);
    const runnerS = r.metrics.eval_runner_seconds as number;
    assert.ok(runnerS > 0, `runner seconds ${runnerS}`);
    assert.ok(Math.abs(r.metric! - (12.5 + runnerS)) < 0.001, `metric ${r.metric} = 12.5 + ${runnerS}`);
    assert.equal(r.metrics.n_seeds, 3);
    assert.ok((r.metrics.seed_logit_gap_min as number) > 0.05, `independent seeds' logit gap ${r.metrics.seed_logit_gap_min}`);
  });
  it('gate_miss with fewer than 3 seeds', async () => {
    const r = await score(await trainSeeds(tiny, [1000, 1001]));
    assert.equal(r.label, 'gate_miss', r.reason);
    assert.match(r.reason, /only 2 seed model\(s\)/);
  });
  it('diverged on a NaN training loss', async () => {
    const r = await score(await trainSeeds({ ...tiny, LR: '1e30' }, [1000, 1001, 1002]));
    assert.equal(r.label, 'diverged', r.reason);
    assert.equal(r.metric, null);
  });
  it('suspect when the seeds are one model', async () => {
    const r = await score(await trainSeeds(tiny, [1000, 1000, 1000]));
    assert.equal(r.label, 'suspect', r.reason);
    assert.match(r.reason, /seeds \d and \d give the same logits on every test image: one model, not independent seeds/);
  });
  it("crash when a row's logits depend on its batch-mates", async () => {
    const r = await score(
      tinyOutputs,
      checkout({}, ['        return self.head(x) * self.scale', '        return self.head(x) * self.scale + torch.roll(x, 1, 0)[:, :1]']),
    );
    assert.equal(r.label, 'crash', r.reason);
    assert.match(r.reason, /illegal model: a row's output changed/);
  });
});
