// `node scripts/sim-proposers.mjs`: the proposers' search, tried in seconds on many seeds, without
// services or slots. Each simulated campaign runs the real offline proposer (dist/) and the real
// Optuna ask (src/proposers/optuna/ask.py) as a campaign does: round robin over specialists, one
// trial at a time on the current best, keep when it gains min_delta, duplicates refused. Scores
// come from a landscape instead of training:
//   bowl       the fixture's own train.py (test/fixtures/tasks/bowl), run on the edited values
//   golf-mini  a surrogate built from the single-edit table in tasks/golf-mini/knowledge.md
//              (see golfMini below: which parts are measured and which are assumed)
//   bench-mini a surrogate of time to the accuracy gate, from tasks/bench-mini/knowledge.md (see benchMini)
// It guides tuning; scripts/bench-proposers.mjs on the real services is the measurement.
//   --tasks bowl,golf-mini,bench-mini  --arms offline,optuna-tpe,optuna-cmaes  --seeds 20  --trials 20
//   --checkpoints 8,20  --ask <a variant of ask.py to try>
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: o } = parseArgs({
  options: {
    tasks: { type: 'string', default: 'bowl,golf-mini' },
    arms: { type: 'string', default: 'offline,optuna-tpe' },
    seeds: { type: 'string', default: '20' },
    trials: { type: 'string', default: '20' },
    checkpoints: { type: 'string', default: '8,20' },
    ask: { type: 'string', default: path.join(root, 'src/proposers/optuna/ask.py') },
  },
});
const list = (s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
const checkpoints = list(o.checkpoints).map(Number);
execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
const { proposeOffline, mulberry32 } = await import(path.join(root, 'dist/src/proposers/offline.js'));
const { pythonPath } = await import(path.join(root, 'dist/src/config.js'));
const { loadTask } = await import(path.join(root, 'dist/src/task/spec.js'));
const { knobValues } = await import(path.join(root, 'dist/src/proposers/knobLines.js'));
const BOWL = path.join(root, 'test/fixtures/tasks/bowl');

// One Python process answers both the Optuna asks and the bowl's scores, a JSON line each.
const py = spawn(
  pythonPath(),
  [
    '-c',
    `
import contextlib, importlib.util, io, json, os, re, sys, tempfile, warnings
warnings.filterwarnings("ignore")
spec = importlib.util.spec_from_file_location("ask", sys.argv[1]); ask = importlib.util.module_from_spec(spec); spec.loader.exec_module(ask)
ask.optuna.logging.set_verbosity(ask.optuna.logging.ERROR)
bowl = open(sys.argv[2]).read()
run = tempfile.mkdtemp(); os.environ["LINEAGE_RUN_DIR"] = run
for line in sys.stdin:
    req = json.loads(line)
    if "score" not in req:
        print(json.dumps(ask.suggest(req)), flush=True); continue
    src = bowl
    for name, value in req["score"].items():
        src = re.sub(r"^%s = \\S+" % name, "%s = %s" % (name, value), src, flags=re.M)
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # its own print would break the JSON lines
            exec(compile(src, "train.py", "exec"), {"__name__": "__main__"})
        print(json.dumps(json.load(open(os.path.join(run, "result.json")))["loss"]), flush=True)
    except MemoryError:
        print("null", flush=True)
`,
    path.resolve(o.ask),
    path.join(BOWL, 'recipe/train.py'),
  ],
  { stdio: ['pipe', 'pipe', 'inherit'] },
);
const waiting = [];
readline.createInterface({ input: py.stdout }).on('line', (l) => waiting.shift()(JSON.parse(l)));
const callPython = (req) =>
  new Promise((resolve) => {
    waiting.push(resolve);
    py.stdin.write(JSON.stringify(req) + '\n');
  });

// The project's own task loader and knob reader: the sim sees the spec and baseline a campaign sees.
function simTask(nameOrDir) {
  const { spec, recipeDir } = loadTask(nameOrDir);
  const files = new Map(['train.py'].map((f) => [f, readFileSync(path.join(recipeDir, f), 'utf8')]));
  return { spec, baseline: knobValues(files, spec.knobs) };
}
const number = (v) => (v === 'True' ? true : v === 'False' ? false : Number(v));
const stepsAway = (k, from, to) => (k.factor && from > 0 ? Math.log(to / from) / Math.log(k.factor) : (to - from) / (k.step ?? (k.max - k.min) / 8));

/** golf-mini's surrogate. Measured (knowledge.md, cpu preset, seed 1): the score of each single edit
 * from the baseline, the train seconds of some, and the bytes of each architecture. Assumed: edits
 * add up with diminishing returns (the one measured stack, three edits, gains 90 % of their sum);
 * between measured points the effect is linear, beyond them each step away costs 0.03 bpb (STEPS
 * keeps gaining 0.08 a step); the four knobs never measured alone get a random ±0.01 a step per
 * seed; scores carry seed noise of sd ~0.006 (the median of three seeds). */
function golfMini(task, seed) {
  const measured = {
    BIGRAM_BUCKETS: [
      [1, -0.43],
      [2, -0.46],
    ],
    STEPS: [
      [1, -0.06],
      [3.1, -0.304],
    ],
    BATCH_SIZE: [[1, -0.049]],
    SHORT_SEQ_FRAC: [[3, -0.048]],
    WARMDOWN_FRAC: [[3, -0.039]],
    D_MODEL: [
      [-1, 0.02],
      [1, -0.035],
    ],
    RECENT_BIAS: [[2, -0.031]],
    WEIGHT_DECAY: [[2, -0.012]],
    N_LAYER: [
      [-1, 0.131],
      [1, -0.01],
    ],
    SEQ_LEN: [
      [-1, -0.005],
      [1, -0.009],
    ],
    LOGIT_SOFTCAP: [[2, -0.007]],
    QUANT_BITS: [
      [-5, 0.024],
      [-4, 0.005],
      [-2, 0.001],
    ],
    DROPOUT: [[2, 0]],
    N_HEAD: [[1, 0.005]],
    Z_LOSS: [[1, 0.009]],
    LR: [
      [-1, 0.013],
      [1, 0.108],
    ],
    EVAL_STRIDE: [[-2, 0.016]],
    MLP_MULT: [[-2, 0.157]],
  };
  const rand = mulberry32(1000 + seed);
  for (const n of ['GRAD_CLIP', 'BETA2', 'WARMUP_STEPS', 'QAT_FRAC'])
    measured[n] = [
      [-1, (rand() - 0.5) * 0.02],
      [1, (rand() - 0.5) * 0.02],
    ];
  const base = Object.fromEntries(task.spec.knobs.map((k) => [k.name, number(task.baseline[k.name])]));
  const effect = (name, x) => {
    const p = [[0, 0], ...measured[name]].sort((a, b) => a[0] - b[0]);
    const [first, last] = [p[0], p[p.length - 1]];
    if (x <= first[0]) return first[1] + (first[0] - x) * 0.03;
    if (x >= last[0]) return last[1] + (x - last[0]) * (name === 'STEPS' ? -0.08 : 0.03);
    const i = p.findIndex(([x1]) => x <= x1);
    const [[x0, y0], [x1, y1]] = [p[i - 1], p[i]];
    return y0 + ((x - x0) / (x1 - x0)) * (y1 - y0);
  };
  return (v) => {
    const [d, layers] = [v.D_MODEL, v.N_LAYER];
    // Bytes and train seconds: fitted to the table's artifact bytes and train times (within ~10 %).
    const bytes = (v.QUANT_BITS / 8) * (256 * d * (v.TIE_EMBEDDINGS ? 1 : 2) + layers * d * d * (4 + 2 * v.MLP_MULT) + v.BIGRAM_BUCKETS * d) + 14_000;
    if (bytes > task.spec.size.cap_bytes) return null;
    const seq = v.SEQ_LEN <= 128 ? 1 - 0.44 * Math.log2(128 / v.SEQ_LEN) : 1 + 1.44 * Math.log2(v.SEQ_LEN / 128);
    const compute = (layers * d * d * (4 + 2 * v.MLP_MULT)) / (2 * 128 * 128 * 12);
    const work = (v.STEPS / 150) * (v.BATCH_SIZE / 16) * (0.35 + 0.65 * compute) * Math.max(0.3, seq);
    if (34 * (0.3 + 0.7 * work) > task.spec.train.budget_s) return null;
    let sum = 0;
    for (const k of task.spec.knobs) if (k.type !== 'bool') sum += effect(k.name, stepsAway(k, base[k.name], v[k.name]));
    const gain = -sum;
    return 3.6644 - (gain > 0 ? gain / (1 + 0.12 * gain) : gain) + (rand() - 0.5) * 0.02;
  };
}

/** bench-mini's surrogate: seconds to train three seeds and evaluate, or null for a recipe that
 * misses the 0.88 accuracy gate, overruns or diverges. Measured (knowledge.md, cpu preset, seed 1):
 * mean accuracy against data passes (EPOCHS x TRAIN_SUBSET_FRAC; 0.7 passes 0.8787, 0.8 0.8840 and
 * 0.8814, 1.0 0.8862, 1.2 0.8932, 1.25 0.8918: about 0.022 per e-fold), WIDTH 11 0.8773, flips
 * slowing fitting at 1-2 epochs; cost per step ~ BATCH x WIDTH^2; campaign baselines of 62-79 s
 * under load. Assumed: depth, batch size and LR effects as written below; each of the six small
 * knobs has a per-seed best offset within 1.5 steps of the baseline, worth 0.001 a step squared;
 * accuracy noise sd 0.0008 (the mean of three seeds), time noise sd 1 s. */
function benchMini(task, seed) {
  const rand = mulberry32(2000 + seed);
  const normal = () => Math.sqrt(-2 * Math.log(rand() || 1e-9)) * Math.cos(2 * Math.PI * rand());
  const knob = Object.fromEntries(task.spec.knobs.map((k) => [k.name, k]));
  const base = Object.fromEntries(task.spec.knobs.map((k) => [k.name, number(task.baseline[k.name])]));
  const small = ['HEAD_SCALE', 'MOMENTUM', 'WARMUP_FRAC', 'WEIGHT_DECAY', 'LABEL_SMOOTHING'];
  const best = Object.fromEntries([...small, 'LR'].map((n) => [n, (rand() - 0.5) * 3]));
  return (v) => {
    const at = (n) => stepsAway(knob[n], base[n], v[n]);
    const passes = v.EPOCHS * v.TRAIN_SUBSET_FRAC;
    const batch = Math.log2(v.BATCH_SIZE / 128); // larger batches: fewer steps for the same passes
    const lr = at('LR');
    if (lr - best.LR > 3 || (v.LR > 0.6 && v.MOMENTUM > 0.9)) return null; // diverged
    let acc = 0.8862 + 0.022 * Math.log(passes) + 0.024 * Math.log(v.WIDTH / 16);
    acc += { 1: -0.015, 2: 0, 3: 0.002 }[v.DEPTH] - (batch > 0 ? 0.004 * batch : 0.002 * batch);
    acc -= 0.002 * ((lr - best.LR) ** 2 - best.LR ** 2);
    for (const n of small) acc -= 0.001 * ((at(n) - best[n]) ** 2 - best[n] ** 2);
    if (v.FLIP_AUG) acc -= passes <= 1.2 ? 0.003 : -0.002;
    acc += 0.0008 * normal();
    const work = (passes / 1.0) * (v.WIDTH / 16) ** 2 * { 1: 0.75, 2: 1, 3: 1.1 }[v.DEPTH] * (128 / v.BATCH_SIZE) ** 0.2 * (v.FLIP_AUG ? 1.05 : 1);
    if (3 + 20 * work > task.spec.train.budget_s) return null; // one seed past its budget
    if (acc < 0.88) return null; // gate_miss
    return 10 + 60 * work + normal();
  };
}

const format = (k, v) => (k.type === 'bool' ? (v ? 'True' : 'False') : k.type === 'int' ? String(Math.round(v)) : String(Number(v.toPrecision(4))));
const recipeFiles = (values) =>
  new Map([
    [
      'train.py',
      Object.entries(values)
        .map(([n, v]) => `${n} = ${v}  # knob`)
        .join('\n') + '\n',
    ],
  ]);
const recipeKey = (values) =>
  JSON.stringify(
    Object.keys(values)
      .sort()
      .map((n) => [n, number(values[n])]),
  );

async function campaign(taskName, arm, seed, trials) {
  const task = simTask(taskName === 'bowl' ? BOWL : taskName);
  const surrogate = { 'golf-mini': golfMini, 'bench-mini': benchMini }[taskName];
  const landscape = surrogate ? surrogate(task, seed) : null;
  const score = async (values) =>
    landscape ? landscape(Object.fromEntries(Object.entries(values).map(([n, v]) => [n, number(v)]))) : callPython({ score: values });
  const direction = task.spec.metric.direction;
  const gain = (a, b) => (direction === 'minimize' ? b - a : a - b);
  const minDelta = task.spec.keep_rule?.min_delta ?? 0;
  let best = { values: { ...task.baseline }, score: await score(task.baseline) };
  const done = [{ index: 0, values: best.values, score: best.score, label: 'keep' }];
  const trained = new Set([recipeKey(best.values)]);
  for (let index = 1; index <= trials; index++) {
    const specialist = task.spec.specialists[(index - 1) % task.spec.specialists.length].name;
    const knobs = task.spec.knobs.filter((k) => k.specialist === specialist);
    const seedOf = seed * 100_003 + index; // as src/proposers/propose.ts seeds a trial
    let next = null;
    let move;
    if (arm === 'offline') {
      const history = done.filter((t) => t.specialist === specialist && t.move).map((t) => ({ knob: t.move, label: t.label, index: t.index }));
      const moves = [];
      for (let p; (p = proposeOffline({ specialist, knobs, files: recipeFiles(best.values), history, inFlight: [], refused: moves, seed: seedOf }));) {
        const values = { ...best.values, [p.knob.name]: p.knob.to };
        if (!trained.has(recipeKey(values))) [next, move] = [values, p.knob];
        if (next) break;
        moves.push(p.knob);
      }
    } else {
      const params = (values) => Object.fromEntries(knobs.map((k) => [k.name, number(values[k.name])]));
      const told = done.filter((t) => t.label !== 'proposal_invalid');
      const req = {
        sampler: arm.replace(/^optuna-/, ''),
        seed: seedOf % 2 ** 31,
        direction,
        knobs,
        trials: told.map((t) => ({ params: params(t.values), value: t.score, kept: t.label === 'keep' })),
        running: [],
        current: params(best.values),
        count: 12,
      };
      for (const c of (await callPython(req)).candidates) {
        const values = { ...best.values };
        for (const k of knobs) values[k.name] = format(k, c[k.name]);
        if (recipeKey(values) === recipeKey(best.values)) continue;
        if (!trained.has(recipeKey(values))) {
          next = values;
          break;
        }
      }
    }
    if (!next) {
      done.push({ index, specialist, values: best.values, score: null, label: 'proposal_invalid' });
      continue;
    }
    trained.add(recipeKey(next));
    const s = await score(next);
    const keep = s !== null && gain(s, best.score) >= minDelta;
    done.push({ index, specialist, values: next, score: s, label: s === null ? 'crash' : keep ? 'keep' : 'discard', move });
    if (keep) best = { values: next, score: s };
  }
  // As bench-proposers measures: the best legal score among trials 0..n.
  const bestAt = (n) => done.filter((t) => t.index <= n && t.score !== null).reduce((b, t) => (b === null || gain(t.score, b) > 0 ? t.score : b), null);
  return { best: Object.fromEntries(checkpoints.map((n) => [n, bestAt(n)])) };
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const seeds = Array.from({ length: Number(o.seeds) }, (_, i) => i + 1);
console.log(`| task | arm | seeds | ${checkpoints.map((n) => `best after ${n} (mean)`).join(' | ')} |`);
console.log(`|---|---|---|${checkpoints.map(() => '---|').join('')}`);
for (const task of list(o.tasks)) {
  for (const arm of list(o.arms)) {
    const rows = [];
    for (const seed of seeds) rows.push(await campaign(task, arm, seed, Number(o.trials)));
    console.log(`| ${task} | ${arm} | 1–${seeds.length} | ${checkpoints.map((n) => mean(rows.map((r) => r.best[n])).toFixed(4)).join(' | ')} |`);
  }
}
py.stdin.end();
