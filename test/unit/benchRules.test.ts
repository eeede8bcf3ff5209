// bench-mini's evaluator on real runs of its recipe, shrunk to seconds: a model below the
// accuracy gate is gate_miss (its harness time still reported), fewer than 3 seeds is gate_miss,
// a NaN loss is diverged. The data is the task's own, prepared as a campaign prepares it.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { loadTask } from '../../src/task/spec.js';
import { hashEvaluator } from '../../src/task/evaluatorHash.js';
import { ensureTaskData } from '../../src/stages/prepareData.js';
import { lineageHome, pythonPath } from '../../src/config.js';
import { readKnob } from '../../src/proposers/knobLines.js';

describe('bench-mini evaluator rules', function () {
  this.timeout(300_000);
  const task = loadTask('bench-mini');
  let data: string;
  before(async () => (data = await ensureTaskData(task, hashEvaluator(task.evaluatorDir), lineageHome(), pythonPath())));

  /** Trains the recipe with some knobs changed, then evaluates it as the harness would. */
  async function trainAndEvaluate(knobs: Record<string, string>) {
    const checkout = mkdtempSync(path.join(os.tmpdir(), 'lineage-bench-'));
    cpSync(task.recipeDir, checkout, { recursive: true });
    let source = readFileSync(path.join(checkout, 'train.py'), 'utf8');
    for (const [name, value] of Object.entries(knobs)) {
      const k = readKnob(source, name);
      assert.ok(k, `knob ${name} in train.py`);
      source = source.replace(k.line, k.line.replace(`= ${k.value}`, `= ${value}`));
    }
    writeFileSync(path.join(checkout, 'train.py'), source);
    const run = path.join(checkout, 'run');
    const env = { PATH: '/usr/bin:/bin', OMP_NUM_THREADS: '1', OMP_WAIT_POLICY: 'PASSIVE', LINEAGE_SEED: '1', LINEAGE_DATA_DIR: path.join(data, 'train'), LINEAGE_RUN_DIR: run };
    await execa(pythonPath(), ['train.py'], { cwd: checkout, env, extendEnv: false });
    const out = await execa(pythonPath(), [path.join(task.evaluatorDir, 'evaluate.py'), '--checkout', checkout, '--run', run, '--data', data, '--train-seconds', '12.5'], { cwd: checkout, env, extendEnv: false });
    return JSON.parse(out.stdout.trim().split('\n').at(-1)!) as { metric: number | null; metrics: Record<string, unknown>; label: string | null; reason: string };
  }

  const tiny = { EPOCHS: '0.05', TRAIN_SUBSET_FRAC: '0.1', WIDTH: '8' };

  it('gate_miss below the mean accuracy gate, with the harness time as its metric', async () => {
    const r = await trainAndEvaluate(tiny);
    assert.equal(r.label, 'gate_miss', r.reason);
    assert.match(r.reason, /mean test accuracy 0\.\d+ over 3 seeds < gate 0\.8800/);
    assert.equal(r.metric, 12.5);
    assert.equal(r.metrics.n_seeds, 3);
  });
  it('gate_miss with fewer than 3 seeds', async () => {
    const r = await trainAndEvaluate({ ...tiny, N_SEEDS: '2' });
    assert.equal(r.label, 'gate_miss', r.reason);
    assert.match(r.reason, /only 2 seed model\(s\)/);
  });
  it('diverged on a NaN training loss', async () => {
    const r = await trainAndEvaluate({ ...tiny, LR: '1e30' });
    assert.equal(r.label, 'diverged', r.reason);
    assert.equal(r.metric, null);
  });
});
