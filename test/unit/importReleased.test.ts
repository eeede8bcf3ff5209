// `lineage import` on fixtures that reproduce the quirks of the paper's released results.tsv files
// (cxcscmu/Auto-Research-Recipes release_artifacts): bare exp ids, exp_-prefixed parents, the
// release's own statuses, quoted hypotheses followed by space-joined columns, proposer-written
// expected_delta forms, and the CIFAR and NanoChat column sets.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readResults } from '../../src/export/importResults.js';
import { parseTsv } from '../../src/export/tsv.js';
import { gpuSeconds } from '../../src/report/trajectory.js';
import { repoRoot } from '../../src/task/spec.js';

const fixture = (name: string) => path.join(repoRoot(), 'test/fixtures/released', name);
const PG = fixture('pg-quirks.results.tsv');
const read = (file: string, extra: { tree?: string; strict?: boolean; direction?: 'minimize' | 'maximize' } = {}) =>
  readResults({ file, campaignId: 'rel', task: 'parameter-golf', direction: extra.direction ?? 'minimize', ...extra });

describe("import of the paper's released runs (fixtures with their quirks)", () => {
  it("control: the fixture has the release's malformed row, which the strict TSV reader refuses", () => {
    assert.throws(() => parseTsv(readFileSync(PG, 'utf8'), 'pg-quirks.results.tsv'), /pg-quirks\.results\.tsv line 5: text after a closing quote in column 7/);
    const lenient = parseTsv(readFileSync(PG, 'utf8'), 'pg-quirks.results.tsv', { lenient: true });
    assert.equal(lenient[4]!.cells.length, 7);
    assert.equal(lenient[4]!.trailing, ' -0.001 keep 1.0795 -0.000500 15999615 600.050000 690.000000 1390.000000 apg-reg-0003 snapshots/003_reg ');
  });

  it('recovers what the text allows, skips the rest naming each line, and maps statuses onto labels', async () => {
    const { trials, notes, campaign } = await read(PG);
    assert.deepEqual(
      trials.map((t) => t.index),
      [0, 1, 2, 3, 4, 5, 9, 10],
    );
    assert.deepEqual(
      trials.map((t) => t.label),
      ['keep', 'crash', 'keep', 'keep', 'crash', 'infra_error', 'discard', 'eval_budget_overrun'],
    );
    assert.deepEqual(
      trials.map((t) => t.sourceStatus),
      ['baseline', 'crash', 'keep', 'keep', 'crash', 'harness_abort', 'discard', 'eval_budget_overrun'],
    );
    const lines = (kind: string) => notes.filter((n) => n.kind === kind).map((n) => Number(/ line (\d+)/.exec(n.message)![1]));
    assert.deepEqual(lines('recovered'), [4, 5, 6, 7, 13]);
    assert.deepEqual(lines('skipped'), [8, 9, 10, 11]);
    assert.deepEqual(lines('parent'), [12]);
    const text = notes.map((n) => n.message).join('\n');
    assert.match(text, /line 8: text after the closing quote of column hypothesis is not space-joined columns; row skipped/);
    assert.match(text, /line 9, column val_bpb: "n\/a" is not a number; row skipped/);
    assert.match(
      text,
      /line 10, column status: "pending" is not a label \(one of keep, .*\) nor a status of the paper's runs \(baseline, disqualified, harness_abort\); row skipped/,
    );
    assert.match(text, /line 11, column exp_id: 005 repeats line 7; row skipped/);
    assert.match(text, /line 12, column parent_exp: 006 is no row of this file; the trial hangs under the baseline/);

    // Bare and exp_-prefixed ids name the same trials.
    const by = new Map(trials.map((t) => [t.index, t]));
    assert.equal(by.get(2)!.parentSha, 'rel:exp_000');
    assert.equal(by.get(10)!.parentSha, 'rel:exp_003');
    assert.equal(by.get(3)!.sha, 'rel:exp_003');

    // The space-joined keep: every column back in place, the leaked tool-call notes split off the hypothesis.
    const r3 = by.get(3)!;
    assert.equal(r3.hypothesis, 'Raise muon_wd 0.095 to 0.115 to shrink matrix weights');
    assert.equal(r3.proposal!.rationale, 'Single-line constant change at line 163.');
    assert.equal(r3.proposal!.expectedDelta, -0.001);
    assert.equal(r3.score, 1.0795);
    assert.equal(r3.metrics.artifact_bytes, 15999615);
    assert.deepEqual(
      r3.stages.map((s) => [s.stage, s.seconds]),
      [
        ['train', 600.05],
        ['evaluate', 690],
        ['other', 99.95],
      ],
    );
    // The space-joined crash: runs of spaces are empty columns; the notes keep their spaces.
    const r4 = by.get(4)!;
    assert.equal(r4.score, null);
    assert.equal(r4.reason, 'torch.distributed.elastic ChildFailedError (train_gpt.py:362 in __init__)');
    assert.deepEqual(
      r4.stages.map((s) => [s.stage, s.seconds]),
      [['train', 31]],
      'a paper row with only total_s held its GPUs that long',
    );
    assert.deepEqual(
      [2, 5, 10].map((i) => by.get(i)!.proposal!.expectedDelta),
      [-0.0003, -0.001, -0.0004],
      'minus_, quoted and negative_ forms',
    );

    assert.equal(campaign.best!.index, 3);
    assert.equal(campaign.baseline!.score, 1.081);
    assert.equal(campaign.metric.name, 'val_bpb');
  });

  it('--strict refuses the file at its first row that needs repair; well-formed release rows pass it', async () => {
    await assert.rejects(
      read(PG, { strict: true }),
      /pg-quirks\.results\.tsv line 4 \(exp 002\): needs repair: read expected_delta "minus_0\.0003" as -0\.0003 \(--strict/,
    );
    const cifar = await read(fixture('cifar-quirks.results.tsv'), { strict: true });
    assert.equal(cifar.trials.length, 4);
    assert.deepEqual(cifar.notes, []);
  });

  it("--tree cross-checks parents and statuses; the release's depth-0 rows for exp_ parents are one note", async () => {
    const tree = fixture('pg-quirks.tree.tsv');
    const { notes } = await read(PG, { tree });
    const treeNotes = notes.filter((n) => n.kind === 'tree').map((n) => n.message);
    assert.deepEqual(treeNotes, [
      'pg-quirks.tree.tsv: 2 trials that name a parent sit at depth 0 there (drawn as roots); the import follows their parent_exp',
      'pg-quirks.tree.tsv: 8 of 8 trials checked; parents agree',
    ]);
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'lineage-tree-'));
    const wrong = path.join(tmp, 'tree.tsv');
    writeFileSync(wrong, readFileSync(tree, 'utf8').replace('004\t003\t2\t002/003/004\treg\tcrash', '004\t002\t2\t002/004\treg\tdiscard'));
    const again = (await read(PG, { tree: wrong })).notes.filter((n) => n.kind === 'tree').map((n) => n.message);
    assert.ok(again.includes('tree.tsv line 6: exp 004 has parent exp_002 here but exp_003 in results.tsv'), again.join('\n'));
    assert.ok(again.includes('tree.tsv line 6: exp 004 has status discard here but crash in results.tsv'), again.join('\n'));
    assert.match(again.at(-1)!, /parents DISAGREE/);
    // Strict: the first disagreement refuses (CIFAR rows need no repair, so the tree is reached).
    await assert.rejects(
      read(fixture('cifar-quirks.results.tsv'), { tree: wrong, strict: true }),
      /tree\.tsv line 3: exp 001 has status crash here but disqualified in results\.tsv \(--strict\)/,
    );
  });

  it('CIFAR columns: train_s is the score, the accuracy gate\'s "disqualified" is gate_miss, other columns are metrics', async () => {
    const { trials, campaign } = await read(fixture('cifar-quirks.results.tsv'));
    assert.equal(campaign.metric.name, 'train_s');
    assert.deepEqual(
      trials.map((t) => t.label),
      ['keep', 'gate_miss', 'keep', 'preflight_crash'],
    );
    assert.deepEqual(trials[1]!.metrics, { train_s: null, accuracy: 0.95759, acc_std: 0.001607, n_seeds: 10 });
    assert.equal(gpuSeconds(trials[1]!), 25.3022, 'a gate miss has train_s blanked: its total_s is its GPU time');
    assert.equal(campaign.best!.score, 25.9);
  });

  it('NanoChat columns: core_metric maximized, val_bpb kept as a metric', async () => {
    const { trials, campaign } = await read(fixture('nanochat-quirks.results.tsv'), { direction: 'maximize' });
    assert.equal(campaign.metric.name, 'core_metric');
    assert.deepEqual(
      trials.map((t) => t.label),
      ['keep', 'discard', 'keep', 'train_budget_overrun'],
    );
    assert.equal(trials[2]!.metrics.val_bpb, 0.84);
    assert.deepEqual(campaign.best, { trialId: trials[2]!.trialId, index: 2, score: 0.1701, sha: 'rel:exp_002' });
  });
});
