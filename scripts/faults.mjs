// `npm run faults [-- NAME ...] [--trials N] [--seed N]`: the fault suite on the real services
// (the project's own Temporal dev server and FerretDB on free ports, workers as separate
// processes). Prints one row per scenario and exits 1 when any oracle fails. NAME picks the
// scenarios whose names contain it.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { trials: { type: 'string', default: '6' }, seed: { type: 'string', default: '1' } },
});
execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
const { runSuite, chooseScenarios, table } = await import(path.join(root, 'dist/test/faults/suite.js'));

const t0 = Date.now();
const log = (line) => console.log(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(5)} s] ${line}`);
const { ok, results, clean } = await runSuite({
  stateDir: path.join(root, '.lineage', 'faults'),
  trials: Number(values.trials),
  seed: Number(values.seed),
  log,
  scenarios: chooseScenarios(positionals),
});
console.log(`\n${table(clean, results)}\n`);
console.log(
  `${results.filter((r) => r.lost + r.duplicated + r.mismatched + r.infraErrors === 0).length} of ${results.length} scenarios held: ${ok ? 'every trial index recorded once, no infra_error, labels and scores as in the clean run' : 'SOME DID NOT'} (suite ${((Date.now() - t0) / 60000).toFixed(1)} min)`,
);
process.exit(ok ? 0 : 1);
