// The short form of `npm run faults`: the same suite code on services of its own, with two
// GPU-worker kills and a 30 s MongoDB outage against a clean run of the same campaign.
import assert from 'node:assert/strict';
import path from 'node:path';
import { runSuite, table } from './faults/suite.js';
import { SHORT } from './faults/scenarios.js';
import { repoRoot } from '../src/task/spec.js';

describe('fault suite (short form)', function () {
  this.timeout(30 * 60_000);
  const env = { TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS, MONGODB_URI: process.env.MONGODB_URI };
  after(() => Object.assign(process.env, env)); // the suite starts its own services and unsets these

  it('loses, duplicates and changes no trial under GPU-worker kills and a MongoDB outage', async () => {
    const lines: string[] = [];
    const { ok, results, clean } = await runSuite({
      stateDir: path.join(repoRoot(), '.lineage', 'faults-short'),
      trials: 2,
      seed: 1,
      scenarios: SHORT,
      log: (l) => lines.push(l),
    });
    console.log(`${lines.join('\n')}\n${table(clean, results)}`);
    assert.equal(results.length, 2);
    for (const r of results) {
      assert.ok(r.faults.length >= 1, `${r.scenario} injected its faults`);
      assert.deepEqual(
        { lost: r.lost, duplicated: r.duplicated, mismatched: r.mismatched, infraErrors: r.infraErrors },
        { lost: 0, duplicated: 0, mismatched: 0, infraErrors: 0 },
        r.scenario,
      );
    }
    assert.ok(ok);
  });
});
