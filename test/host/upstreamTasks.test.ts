// The upstream tasks (parameter-golf, nanochat, airbench) run on a user's checkout named by an
// environment variable. Here: their specs validate, a missing or incomplete checkout gives a
// precise error, and each evaluator turns what a stub of the upstream code writes (its log
// format, its files) into the metric and the legality labels. No GPU: the stubs only write files.
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { loadTask, parseTaskSpec, tasksRoot } from '../../src/task/spec.js';
import { pythonPath } from '../../src/config.js';

const UPSTREAM = {
  'parameter-golf': ['PARAMETER_GOLF_DIR', 'PARAMETER_GOLF_DATA'],
  nanochat: ['NANOCHAT_DIR', 'NANOCHAT_DATA'],
  airbench: ['AIRBENCH_DIR', 'AIRBENCH_DATA'],
} as const;

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'lineage-upstream-'));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), text);
  }
  return root;
}

/** Runs fn with the given environment variables set (undefined: unset), restoring them after. */
function withEnv<T>(vars: Record<string, string | undefined>, fn: () => T): T {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const apply = (v: Record<string, string | undefined>) =>
    Object.entries(v).forEach(([k, x]) => (x === undefined ? delete process.env[k] : (process.env[k] = x)));
  apply(vars);
  try {
    return fn();
  } finally {
    apply(saved);
  }
}

async function py(args: string[], cwd: string, env: Record<string, string> = {}) {
  return execa(pythonPath(), args, { cwd, env: { PATH: '/usr/bin:/bin', ...env }, extendEnv: false, all: true });
}

/** The evaluator's report: the last line of its stdout. */
async function report(args: string[], cwd: string) {
  const out = await py(args, cwd);
  return JSON.parse(out.stdout.trim().split('\n').at(-1)!) as { metric: number | null; metrics: Record<string, unknown>; label: string | null; reason: string };
}

describe('upstream task specs', () => {
  for (const [name, [recipeVar, dataVar]] of Object.entries(UPSTREAM)) {
    it(`${name} validates, and names ${recipeVar} and ${dataVar} when they are unset or incomplete`, () => {
      const file = path.join(tasksRoot(), name, 'task.yaml');
      const spec = parseTaskSpec(readFileSync(file, 'utf8'), file);
      assert.equal(typeof spec.recipe, 'object');
      const roster = spec.specialists.map((s) => s.name);
      assert.ok(roster.length >= 5, roster.join(','));
      withEnv({ [recipeVar]: undefined, [dataVar]: undefined }, () =>
        assert.throws(
          () => loadTask(name),
          new RegExp(`recipe\\.from_env: environment variable ${recipeVar} is not set; set it to your clone of https://github\\.com/`),
        ),
      );
      const empty = tree({ 'README.md': 'not a checkout' });
      withEnv({ [recipeVar]: empty, [dataVar]: undefined }, () =>
        assert.throws(() => loadTask(name), new RegExp(`recipe\\.from_env: ${recipeVar}=${empty} lacks \\S+`)),
      );
    });
  }

  it('parameter-golf: a complete checkout loads; its data folder is checked file by file', () => {
    const checkout = tree({ 'train_gpt.py': 'print(1)\n', 'data/README.md': '' });
    const data = tree({ 'datasets/fineweb10B_sp1024/fineweb_train_000000.bin': '', 'datasets/fineweb10B_sp1024/fineweb_val_000000.bin': '' });
    withEnv({ PARAMETER_GOLF_DIR: checkout, PARAMETER_GOLF_DATA: undefined }, () =>
      assert.throws(
        () => loadTask('parameter-golf'),
        /data\.from_env: environment variable PARAMETER_GOLF_DATA is not set; set it to the data\/ folder of that clone/,
      ),
    );
    withEnv({ PARAMETER_GOLF_DIR: checkout, PARAMETER_GOLF_DATA: data }, () =>
      assert.throws(() => loadTask('parameter-golf'), new RegExp(`data\\.from_env: PARAMETER_GOLF_DATA=${data} lacks tokenizers/fineweb_1024_bpe\\.model;`)),
    );
    mkdirSync(path.join(data, 'tokenizers'));
    writeFileSync(path.join(data, 'tokenizers/fineweb_1024_bpe.model'), '');
    const task = withEnv({ PARAMETER_GOLF_DIR: checkout, PARAMETER_GOLF_DATA: data }, () => loadTask('parameter-golf'));
    assert.equal(task.recipeDir, checkout);
    assert.deepEqual(task.recipeFiles, ['train_gpt.py'], 'only the recipe is copied, never data/');
    assert.equal(task.dataDir, data);
  });

  it('nanochat: globbed recipe files are found and {recipe_src} becomes the checkout', () => {
    const checkout = tree({
      'pyproject.toml': '',
      'nanochat/gpt.py': '',
      'nanochat/common.py': '',
      'scripts/base_train.py': '',
      'scripts/base_eval.py': '',
      'scripts/chat_web.py': '',
    });
    const data = tree({
      'base_data/shard_00000.parquet': '',
      'tokenizer/tokenizer.pkl': '',
      'eval_bundle/core.yaml': '',
      'eval_bundle/eval_meta_data.csv': '',
      'eval_bundle/eval_data/x.jsonl': '',
    });
    const task = withEnv({ NANOCHAT_DIR: checkout, NANOCHAT_DATA: data }, () => loadTask('nanochat'));
    assert.deepEqual(task.recipeFiles, ['nanochat/common.py', 'nanochat/gpt.py', 'pyproject.toml', 'scripts/base_eval.py', 'scripts/base_train.py']);
    assert.ok(task.spec.train.command.includes(`${checkout}/.venv/bin/torchrun`), task.spec.train.command.join(' '));
    assert.ok(task.spec.evaluate.command?.includes(`${checkout}/.venv/bin/python`));
  });
});

describe('parameter-golf evaluator on a stub of train_gpt.py', function () {
  this.timeout(60_000);
  const evaluator = path.join(tasksRoot(), 'parameter-golf/evaluator');
  // Writes what train_gpt.py writes, in its formats: logs/$RUN_ID.txt (its code, then log0 lines) and final_model.int8.ptz.
  const stub = `import os, zlib
from pathlib import Path


class Hyperparameters:
    data_path = os.environ.get("DATA_PATH", "./data/datasets/fineweb10B_sp1024")
    train_files = os.path.join(data_path, "fineweb_train_*.bin")
    val_files = os.path.join(data_path, "fineweb_val_*.bin")
    vocab_size = int(os.environ.get("VOCAB_SIZE", 1024))
    num_layers = int(os.environ.get("NUM_LAYERS", 9))
    num_kv_heads = int(os.environ.get("NUM_KV_HEADS", 4))
    model_dim = int(os.environ.get("MODEL_DIM", 512))
    num_heads = int(os.environ.get("NUM_HEADS", 8))
    mlp_mult = int(os.environ.get("MLP_MULT", 2))
    tie_embeddings = bool(int(os.environ.get("TIE_EMBEDDINGS", "1")))


def load_validation_tokens(pattern, seq_len):
    # The export pipeline writes the fixed first-50k-doc validation set to fineweb_val_*.
    return pattern


class DistributedTokenLoader:
    def __init__(self, pattern):
        self.pattern = pattern


def main():
    code = Path(__file__).read_text(encoding="utf-8")
    args = Hyperparameters()
    os.makedirs("logs", exist_ok=True)
    logfile = f"logs/{os.environ['RUN_ID']}.txt"

    def log0(msg):
        print(msg)
        with open(logfile, "a", encoding="utf-8") as f:
            print(msg, file=f)

    log0(code)
    val_tokens = load_validation_tokens(args.val_files, 1024)
    log0(f"val_loader:shards pattern={args.val_files} tokens:62021632")
    train_loader = DistributedTokenLoader(args.train_files)
    e = os.environ
    log0(f"step:1/20000 train_loss:{float(e.get('STUB_LOSS', '6.9')):.4f} train_time:410ms step_avg:410.00ms")
    log0(f"step:1400/20000 val_loss:2.0700 val_bpb:1.2260 train_time:{e.get('STUB_TRAIN_MS', '600120')}ms step_avg:428.66ms")
    log0(f"stopping_early: wallclock_cap train_time:{e.get('STUB_TRAIN_MS', '600120')}ms step:1400/20000")
    blob = zlib.compress(os.urandom(int(e.get("STUB_MODEL_BYTES", "100000"))), 9)
    with open("final_model.int8.ptz", "wb") as f:
        f.write(blob)
    log0(f"Total submission size int8+zlib: {len(blob) + len(code.encode('utf-8'))} bytes")
    log0(f"final_int8_zlib_roundtrip val_loss:2.0636 val_bpb:1.2222 eval_time:{e.get('STUB_EVAL_MS', '11500')}ms")
    log0(f"final_int8_zlib_roundtrip_exact val_loss:2.06361111 val_bpb:{e.get('STUB_BPB', '1.22218866')}")


if __name__ == "__main__":
    main()
`;

  async function run(env: Record<string, string> = {}, code = stub, cap = 16_000_000) {
    const checkout = tree({ 'train_gpt.py': code });
    await py(['train_gpt.py'], checkout, { RUN_ID: 'lineage', ...env });
    return report([path.join(evaluator, 'evaluate.py'), '--checkout', checkout, '--cap', String(cap)], checkout);
  }

  it('reads val_bpb after the int8+zlib round trip and measures the artifact itself', async () => {
    const r = await run();
    assert.equal(r.label, null, r.reason);
    assert.equal(r.metric, 1.22218866);
    assert.equal(r.metrics.train_time_ms, 600120);
    assert.equal(r.metrics.artifact_bytes, (r.metrics.code_bytes as number) + (r.metrics.model_bytes as number));
    assert.equal(r.metrics.artifact_bytes, r.metrics.logged_artifact_bytes);
  });
  it('size_blocked over 16,000,000 bytes', async () => {
    const r = await run({ STUB_MODEL_BYTES: '16000000' });
    assert.equal(r.label, 'size_blocked');
    assert.match(r.reason, /artifact \d+ bytes \(code \d+ \+ int8\+zlib model \d+\) > cap 16000000/);
  });
  it('train_budget_overrun past 600 s of training, eval_budget_overrun past 600 s of evaluation', async () => {
    const t = await run({ STUB_TRAIN_MS: '612000' });
    assert.equal(t.label, 'train_budget_overrun', t.reason);
    assert.match(t.reason, /training took 612000 ms > 600000 ms/);
    const e = await run({ STUB_EVAL_MS: '600001' });
    assert.equal(e.label, 'eval_budget_overrun', e.reason);
  });
  it('diverged on a NaN train loss or a NaN round-trip val_bpb', async () => {
    const r = await run({ STUB_LOSS: 'nan' });
    assert.equal(r.label, 'diverged', r.reason);
    assert.match(r.reason, /train_loss in the log is NaN/);
    const v = await run({ STUB_BPB: 'nan' });
    assert.equal(v.label, 'diverged', v.reason);
    assert.match(v.reason, /round-trip val_bpb is nan/);
  });
  it('illegal_edit when training reads the validation split', async () => {
    const r = await run({}, stub.replace('DistributedTokenLoader(args.train_files)', 'DistributedTokenLoader(args.val_files)'));
    assert.equal(r.label, 'illegal_edit', r.reason);
    assert.match(r.reason, /DistributedTokenLoader\(args\.val_files\)/);
  });
  it('crash when the log was not written by this code', async () => {
    const checkout = tree({ 'train_gpt.py': stub });
    await py(['train_gpt.py'], checkout, { RUN_ID: 'lineage' });
    writeFileSync(path.join(checkout, 'train_gpt.py'), stub + '\n# edited after the run\n');
    const r = await report([path.join(evaluator, 'evaluate.py'), '--checkout', checkout, '--cap', '16000000'], checkout);
    assert.equal(r.label, 'crash');
    assert.match(r.reason, /not written by this code/);
  });
  it('projects the artifact before training from the Hyperparameters defaults', async () => {
    const project = async (code: string) => {
      const checkout = tree({ 'train_gpt.py': code });
      const out = await py([path.join(evaluator, 'project_size.py'), '--checkout', checkout], checkout);
      return JSON.parse(out.stdout) as { projected_bytes: number; params: number };
    };
    const base = await project(stub);
    assert.equal(base.params, 9 * (2 * 512 * 512 + 2 * 512 * 256 + 2 * 512 * 1024) + 1024 * 512);
    assert.ok(base.projected_bytes < 16_000_000, String(base.projected_bytes));
    const big = await project(stub.replace('"NUM_LAYERS", 9', '"NUM_LAYERS", 20'));
    assert.ok(big.projected_bytes > 16_000_000, String(big.projected_bytes));
  });
});

describe('nanochat evaluator on a stub of scripts.base_eval', function () {
  this.timeout(60_000);
  const evaluator = path.join(tasksRoot(), 'nanochat/evaluator/evaluate.py');
  // The CSV base_eval.py writes; its Centered column and CORE row are wrong on purpose: the evaluator recomputes them.
  const baseEval = `import os
base = os.environ["NANOCHAT_BASE_DIR"]
os.makedirs(os.path.join(base, "base_eval"), exist_ok=True)
with open(os.path.join(base, "base_eval", "base_model_000100.csv"), "w") as f:
    f.write(f"{'Task':<35}, {'Accuracy':<10}, {'Centered':<10}\\n")
    for label, acc in [("hellaswag_zeroshot", 0.30), ("arc_easy", 0.55), ("copa", 0.60)]:
        f.write(f"{label:<35}, {acc:<10.6f}, {0.9:<10.6f}\\n")
    f.write(f"{'CORE':<35}, {'':<10}, {0.999:<10.6f}\\n")
`;
  const data = tree({
    'eval_bundle/core.yaml':
      'icl_tasks:\n- label: hellaswag_zeroshot\n  dataset_uri: language_understanding/hellaswag.jsonl\n- label: arc_easy\n  dataset_uri: world_knowledge/arc_easy.jsonl\n- label: copa\n  dataset_uri: commonsense_reasoning/copa.jsonl\n',
    'eval_bundle/eval_meta_data.csv':
      'Eval Task,Task Category,Task Type,#shots,#datapoints,Random baseline,Centered baseline\nhellaswag_zeroshot,language understanding,multiple choice,0,10042,25,\narc_easy,world knowledge,multiple choice,10,2376,25,\ncopa,commonsense reasoning,multiple choice,0,100,50,\n',
  });

  async function run(nLayer: number) {
    const checkout = tree({ 'scripts/base_eval.py': baseEval });
    const runDir = tree({
      'nanochat_base/base_checkpoints/d12/meta_000100.json': JSON.stringify({ step: 100, val_bpb: 0.91, model_config: { n_layer: nLayer } }),
    });
    return report([evaluator, '--checkout', checkout, '--run', runDir, '--data', data, '--python', pythonPath(), '--nproc', '1'], checkout);
  }

  it('recomputes CORE as the mean of (acc - chance) / (1 - chance)', async () => {
    const r = await run(12);
    assert.equal(r.label, null, r.reason);
    const expected = ((0.3 - 0.25) / 0.75 + (0.55 - 0.25) / 0.75 + (0.6 - 0.5) / 0.5) / 3;
    assert.ok(Math.abs(r.metric! - expected) < 1e-9, `${r.metric} vs ${expected}`);
    assert.equal(r.metrics.tasks, 3);
  });
  it('illegal_edit when the model is not depth 12', async () => {
    const r = await run(20);
    assert.equal(r.label, 'illegal_edit');
    assert.match(r.reason, /n_layer=20/);
  });
});

describe('airbench evaluator on a stub of airbench96.py', function () {
  this.timeout(60_000);
  const evaluator = path.join(tasksRoot(), 'airbench/evaluator/evaluate.py');
  // airbench96.py's __main__ saves logs/<uuid>/log.pt = {"code": its source, "accs": tensor}.
  const stub = `import os, sys, torch
accs = torch.tensor([float(os.environ.get("STUB_ACC", "0.9605"))] * int(os.environ.get("STUB_RUNS", "25")))
with open(sys.argv[0]) as f:
    code = f.read()
os.makedirs("logs/6f1c", exist_ok=True)
torch.save({"code": code, "accs": accs}, "logs/6f1c/log.pt")
print("Mean: %.4f    Std: %.4f" % (accs.mean(), accs.std()))
`;
  async function run(env: Record<string, string> = {}) {
    const checkout = tree({ 'airbench96.py': stub });
    const train = await py(['airbench96.py'], checkout, env);
    assert.match(train.stdout, /^Mean: /);
    return report([evaluator, '--checkout', checkout, '--train-seconds', '900'], checkout);
  }

  it('scores the harness time per run when the mean accuracy reaches 0.96', async () => {
    const r = await run();
    assert.equal(r.label, null, r.reason);
    assert.equal(r.metric, 36);
  });
  it('gate_miss below 96% (time still reported) and with fewer than 25 runs', async () => {
    const low = await run({ STUB_ACC: '0.955' });
    assert.equal(low.label, 'gate_miss');
    assert.match(low.reason, /mean accuracy 0\.9550 over 25 runs < gate 0\.96/);
    assert.equal(low.metric, 36);
    const few = await run({ STUB_RUNS: '5' });
    assert.equal(few.label, 'gate_miss');
    assert.match(few.reason, /5 runs in the log; the benchmark needs >= 25/);
  });
  it('diverged on NaN accuracies', async () => {
    const r = await run({ STUB_ACC: 'nan' });
    assert.equal(r.label, 'diverged');
  });
});
