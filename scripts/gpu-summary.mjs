// `node gpu-summary.mjs <resultsDir>` (run by scripts/gpu-check.sh): one markdown table per task
// from the exported trials (exports/<task>/trials.jsonl), the nvidia-smi samples taken during
// their train stages, and how the worker's trial sandbox came up. No dependencies: it travels.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const dir = process.argv[2];
const read = (f) => (existsSync(path.join(dir, f)) ? readFileSync(path.join(dir, f), 'utf8') : '');
const samples = read('nvidia-smi.csv')
  .split('\n')
  .map((l) => l.split(',').map((x) => Number(x.trim())))
  .filter((r) => r.length >= 3 && r.every(Number.isFinite))
  .map(([t, util, memMiB]) => ({ t, util, memMiB }));
const workerLog = read('logs/gpu-worker.log');
const sandboxLine = workerLog.split('\n').find((l) => l.includes('; sandbox ')) ?? '(the GPU worker printed no start line)';
const fmt = (x, d = 2) => (x === null || x === undefined || Number.isNaN(x) ? '–' : Number(x).toFixed(d));

/** Mean and max GPU utilisation, and max memory, over the samples inside these [start, end] windows. */
function gpuDuring(windows) {
  const inside = samples.filter((s) => windows.some(([a, b]) => s.t >= a && s.t <= b));
  if (!inside.length) return null;
  return {
    n: inside.length,
    mean: inside.reduce((a, s) => a + s.util, 0) / inside.length,
    max: Math.max(...inside.map((s) => s.util)),
    memMiB: Math.max(...inside.map((s) => s.memMiB)),
  };
}

const out = [
  `# GPU check summary`,
  '',
  `- environment: ${read('environment.txt').trim().split('\n').join('; ')}`,
  `- sandbox probe: ${read('sandbox.txt').trim()}`,
  `- GPU worker: ${sandboxLine.trim()}`,
  `- nvidia-smi: ${samples.length ? `${samples.length} samples` : read('nvidia-smi.txt').trim().split('\n')[0]}`,
  '',
];
const exportsDir = path.join(dir, 'exports');
for (const task of existsSync(exportsDir) ? readdirSync(exportsDir).sort() : []) {
  const file = path.join(exportsDir, task, 'trials.jsonl');
  if (!existsSync(file)) continue;
  const trials = readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))
    .sort((a, b) => a.index - b.index);
  out.push(
    `## ${task}`,
    '',
    '| trial | specialist | label | score | train s | evaluate s | GPU util % during train (mean / max) | GPU MiB max | reason |',
    '|---|---|---|---|---|---|---|---|---|',
  );
  for (const t of trials) {
    const stage = (name) => (t.stages ?? []).filter((s) => s.stage === name);
    const secs = (name) => stage(name).reduce((a, s) => a + s.seconds, 0);
    const windows = stage('train').map((s) => [Date.parse(s.startedAt) / 1000, Date.parse(s.startedAt) / 1000 + s.seconds]);
    const g = gpuDuring(windows);
    const reason = String(t.reason ?? '')
      .replace(/\s+/g, ' ')
      .replace(/\|/g, '/')
      .slice(0, 90);
    out.push(
      `| ${t.index} | ${t.specialist} | ${t.label} | ${fmt(t.score, 4)} | ${fmt(secs('train'), 1)} | ${fmt(secs('evaluate'), 1)} | ${g ? `${fmt(g.mean, 0)} / ${fmt(g.max, 0)}` : '–'} | ${g ? fmt(g.memMiB, 0) : '–'} | ${reason} |`,
    );
  }
  out.push('');
}
console.log(out.join('\n'));
