// Histories recorded from the workflow code (test/fixtures/histories, refreshed with
// LINEAGE_SAVE_HISTORIES=test/fixtures/histories npm test -- continueAsNew) must replay
// against the current code: a change to workflows/ that would break running campaigns fails here.
// campaign-parallel.json (six trials started at once, historyBound's LINEAGE_SAVE_HISTORIES) was
// recorded by the code that awaited each child's start before the next (as at commit b8815e7).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../src/task/spec.js';
import { replayRuns, runFromJson } from '../src/replay.js';

describe('recorded histories', () => {
  it('replay against the current workflow code', async () => {
    const dir = path.join(repoRoot(), 'test/fixtures/histories');
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort();
    assert.deepEqual(files, ['campaign-parallel.json', 'campaign-run1.json', 'campaign-run3.json', 'trial.json']);
    const runs = files.map((f) => runFromJson(readFileSync(path.join(dir, f), 'utf8')));
    const replayed = await replayRuns(runs);
    assert.deepEqual(
      replayed.map((r) => r.error ?? 'ok'),
      ['ok', 'ok', 'ok', 'ok'],
    );
  });
});
