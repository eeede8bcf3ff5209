// bench-mini's seeds through the real stages: the harness trains each seed in its own sandboxed
// checkout, sums their times, and the trusted scorer scores the three models with the runner's
// own seconds on the clock. A recipe that ignores LINEAGE_SEED (one model under three seeds) is
// suspect. The task is a shrunk copy of bench-mini (a few training steps, a gate they reach).
import assert from 'node:assert/strict';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startHarness, startCampaign, knob, uniqueId, type Harness } from './support/harness.js';
import { tasksRoot } from '../src/task/spec.js';
import { lineageHome } from '../src/config.js';

describe('bench-mini seeds through the stages', function () {
  this.timeout(600_000);
  let h: Harness;
  let task: string;
  before(async () => {
    h = await startHarness({ slots: 1 });
    // Not under /tmp: the model runner's sandbox mounts a read-only /tmp over it.
    mkdirSync(lineageHome(), { recursive: true });
    const dir = mkdtempSync(path.join(lineageHome(), 'bench-seeds-'));
    chmodSync(dir, 0o755); // the trial user must reach the task's folders
    task = path.join(dir, 'bench-mini');
    cpSync(path.join(tasksRoot(), 'bench-mini'), task, { recursive: true });
    const edit = (file: string, pairs: [string, string][]) => {
      let s = readFileSync(path.join(task, file), 'utf8');
      for (const [a, b] of pairs) {
        assert.ok(s.includes(a), `${file}: ${a}`);
        s = s.replace(a, b);
      }
      writeFileSync(path.join(task, file), s);
    };
    edit('recipe/train.py', [
      ['EPOCHS = 2.0', 'EPOCHS = 0.2'],
      ['TRAIN_SUBSET_FRAC = 0.5', 'TRAIN_SUBSET_FRAC = 0.2'],
      ['WIDTH = 16', 'WIDTH = 8'],
    ]);
    edit('evaluator/common.py', [['GATE = {"cpu": 0.8800', 'GATE = {"cpu": 0.3000']]);
    edit('task.yaml', [
      ['plausible: { min: 5 }', 'plausible: { min: 0.1 }'],
      ['confirm: 2', 'confirm: 0'],
    ]); // one run per trial: this test is about seeds, the red team about confirm
  });
  after(async () => {
    await h?.stop();
    rmSync(path.dirname(task), { recursive: true, force: true });
  });

  it("trains every seed on its own, sums the times with the runner's, and labels one model under three seeds suspect", async () => {
    const campaignId = uniqueId('bench-seeds');
    const oneModel = knob('opt', '    seed = int(os.environ.get("LINEAGE_SEED", "0"))', '    seed = 1000  # the same model whatever the seed');
    const handle = await startCampaign(h.client, {
      campaignId,
      task,
      budget: { trials: 1 },
      parallelism: 1,
      proposer: { kind: 'replay', proposals: [oneModel] },
    });
    await handle.result();
    const docs = await h.deps.store.trials.find({ campaignId }).sort({ index: 1 }).toArray();
    const [base, same] = docs;
    assert.equal(base!.label, 'keep', `${base!.label}: ${base!.reason}`);
    const seeds = base!.train!.seeds!;
    assert.deepEqual(
      seeds.map((s) => s.seed),
      [1000, 1001, 1002],
    );
    const sum = seeds.reduce((a, s) => a + s.wallS, 0);
    assert.ok(Math.abs(base!.train!.wallS - sum) < 1e-6, "train time is the sum of the seeds' runs");
    assert.deepEqual(base!.train!.outputs!.files, [
      'seed_0/config.json',
      'seed_0/model.pt',
      'seed_0/train_metrics.json',
      'seed_1/config.json',
      'seed_1/model.pt',
      'seed_1/train_metrics.json',
      'seed_2/config.json',
      'seed_2/model.pt',
      'seed_2/train_metrics.json',
    ]);
    const runnerS = base!.metrics.eval_runner_seconds!;
    assert.ok(
      runnerS > 0 && Math.abs(base!.score! - (Number(base!.train!.wallS.toFixed(3)) + runnerS)) < 0.01,
      `score ${base!.score} = train ${base!.train!.wallS} + runner ${runnerS}`,
    );
    assert.equal(base!.metrics.n_seeds, 3);
    assert.equal(same!.label, 'suspect', `${same!.label}: ${same!.reason}`);
    assert.match(same!.reason, /give the same logits on every test image/);
  });
});
