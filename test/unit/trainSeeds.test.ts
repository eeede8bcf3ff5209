// train.seeds: the seeds' runs become one train — times summed, the first failure is the train's,
// each seed's outputs under seed_<i>/.
import assert from 'node:assert/strict';
import { combineOutputs, combineSeeds } from '../../src/stages/trainAndEvaluate.js';
import type { RunOutcome } from '../../src/types.js';

const ok = (wallS: number, logTail = 'done'): RunOutcome => ({
  exitCode: 0,
  signal: null,
  timedOut: false,
  overBudget: false,
  memoryExceeded: false,
  wallS,
  logTail,
});

describe('train seeds', () => {
  it("sums the seeds' wall times and keeps a clean exit when every seed ran clean", () => {
    const r = combineSeeds(
      [
        { seed: 1000, outcome: ok(10) },
        { seed: 1001, outcome: ok(11.5) },
        { seed: 1002, outcome: ok(12) },
      ],
      3,
    );
    assert.equal(r.wallS, 33.5);
    assert.equal(r.exitCode, 0);
    assert.equal(r.overBudget, false);
    assert.match(r.logTail, /seed 3 of 3 \(LINEAGE_SEED=1002\): 12\.00 s, exit 0/);
  });
  it("a seed that crashed or overran is the train's outcome", () => {
    const crashed = combineSeeds(
      [
        { seed: 1000, outcome: ok(10) },
        { seed: 1001, outcome: { ...ok(3, 'Traceback'), exitCode: 1 } },
      ],
      3,
    );
    assert.equal(crashed.exitCode, 1);
    assert.equal(crashed.wallS, 13);
    assert.match(crashed.logTail, /Traceback[\s\S]*stopped after seed 2 of 3/);
    const overran = combineSeeds([{ seed: 1000, outcome: { ...ok(70), exitCode: null, signal: 'SIGKILL', timedOut: true, overBudget: true } }], 3);
    assert.equal(overran.overBudget, true);
    assert.equal(overran.timedOut, true);
  });
  it("puts each seed's outputs under seed_<i>/", () => {
    const out = combineOutputs([
      { outputs: { files: ['model.pt'], bytes: 5, refused: [] } },
      { outputs: { files: ['model.pt'], bytes: 6, refused: ['big.bin: too big'] } },
    ]);
    assert.deepEqual(out, { files: ['seed_0/model.pt', 'seed_1/model.pt'], bytes: 11, refused: ['seed_1/big.bin: too big'] });
  });
});
