import assert from 'node:assert/strict';
import { formatTsv, parseTsv } from '../../src/export/tsv.js';
import { bestSoFar, keepChain, parentIndexes, preorder } from '../../src/report/trajectory.js';
import { renderReport } from '../../src/report/html.js';
import type { CampaignDoc, TrialDoc } from '../../src/store/db.js';
import type { Label, Proposal } from '../../src/types.js';

function trial(index: number, parentSha: string, sha: string | null, label: Label, score: number | null, specialist = 'opt'): TrialDoc {
  return {
    _id: `t${index}`,
    trialId: `t${index}`,
    campaignId: 'c',
    task: 'toy',
    index,
    specialist,
    parentSha,
    sha,
    hypothesis: `h${index}`,
    proposal: null,
    diff: index === 0 ? '' : `-a\n+b${index}`,
    label,
    score,
    keep: label === 'keep',
    reason: `r${index}`,
    rule: null,
    spread: null,
    metrics: {},
    stages: [
      { stage: 'train', startedAt: '', seconds: 2 },
      { stage: 'evaluate', startedAt: '', seconds: 1 },
      { stage: 'judge', startedAt: '', seconds: 5 },
    ],
    usage: { inputTokens: 100, outputTokens: 10, dollars: 0.01 },
    train: null,
    logExcerpt: '',
    startedAt: '',
    finishedAt: '',
    recordedAt: '',
  };
}

describe('trajectory helpers', () => {
  it('TSV keeps tabs, newlines and quotes in a field, and names the line of an unclosed quote', () => {
    const rows = [
      { a: 'x\ty', b: 'two\nlines "quoted"' },
      { a: '', b: 'plain' },
    ];
    const text = formatTsv(['a', 'b'], rows);
    const parsed = parseTsv(text, 'f.tsv');
    assert.deepEqual(
      parsed.map((r) => r.cells),
      [
        ['a', 'b'],
        ['x\ty', 'two\nlines "quoted"'],
        ['', 'plain'],
      ],
    );
    assert.deepEqual(
      parsed.map((r) => r.line),
      [1, 2, 4],
    );
    assert.throws(() => parseTsv('a\tb\n1\t"open\n', 'f.tsv'), /f\.tsv line 2: a quoted field is never closed/);
  });

  it('finds parents by commit, keeps subtrees contiguous in preorder, and follows the keep chain (maximize, failures)', () => {
    const trials = [
      trial(0, '', 's0', 'keep', 1, 'baseline'),
      trial(1, 's0', 's1', 'keep', 2),
      trial(2, 's0', null, 'crash', null),
      trial(3, 's1', 's3', 'discard', 1.5),
      trial(4, 's1', 's4', 'keep', 3),
      trial(5, 'gone', 's5', 'discard', 0.5), // its parent commit is no trial's: hangs under the baseline
    ];
    const parents = parentIndexes(trials);
    assert.deepEqual(
      [...parents.entries()],
      [
        [0, null],
        [1, 0],
        [2, 0],
        [3, 1],
        [4, 1],
        [5, 0],
      ],
    );
    assert.deepEqual(
      preorder(trials, parents).map((t) => t.index),
      [0, 1, 3, 4, 2, 5],
    );
    assert.deepEqual(bestSoFar(trials, 'maximize'), [1, 2, 2, 2, 3, 3]);
    assert.deepEqual(bestSoFar(trials, 'minimize'), [1, 1, 1, 1, 1, 1]);
    assert.deepEqual(
      keepChain(trials, 'maximize', parents).map((t) => t.index),
      [0, 1, 4],
    );
  });

  it('reports the best of a maximize campaign as the highest kept score', async () => {
    const trials = [
      trial(0, '', 's0', 'keep', 1, 'baseline'),
      trial(1, 's0', 's1', 'keep', 3),
      trial(2, 's1', 's2', 'discard', 2),
      trial(3, 's1', null, 'crash', null),
    ];
    const campaign = { _id: 'max', task: 'toy', metric: { name: 'core', direction: 'maximize' }, baseline: { score: 1 } } as CampaignDoc;
    const html = await renderReport({ campaign, trials });
    assert.match(html, /best core<\/td><td>3 \(trial #1/);
    assert.match(html, /core by trial \(higher is better\)/);
    assert.equal(html.match(/<section class="keep">/g)?.length, 2);
  });

  it('counts proposals by arm and the duplicates refused before training', async () => {
    const trials = [
      trial(0, '', 's0', 'keep', 1, 'baseline'),
      trial(1, 's0', 's1', 'keep', 3),
      trial(2, 's1', 's2', 'discard', 2),
      trial(3, 's1', null, 'crash', null),
    ];
    const proposal = (arm: string, duplicatesRefused: number): Proposal => ({
      specialist: 'opt',
      hypothesis: 'h',
      rationale: '',
      edits: [],
      origin: { proposer: arm === 'offline' ? 'offline' : 'optuna', arm },
      duplicatesRefused,
    });
    trials[1]!.proposal = proposal('optuna-tpe', 2);
    trials[2]!.proposal = proposal('optuna-tpe', 0);
    trials[3]!.proposal = proposal('offline', 1);
    const campaign = { _id: 'arms', task: 'toy', metric: { name: 'core', direction: 'maximize' }, baseline: { score: 1 } } as CampaignDoc;
    const html = await renderReport({ campaign, trials });
    assert.match(html, /proposals by arm<\/td><td>optuna-tpe 2 · offline 1</);
    assert.match(html, /duplicates refused<\/td><td>3 \(/);
  });

  it('draws a 3,000-trial campaign: a 1,000-deep keep chain, failures without scores', async function () {
    this.timeout(120_000);
    const trials: TrialDoc[] = [trial(0, '', 's0', 'keep', 100, 'baseline')];
    let best = 's0';
    for (let i = 1; i < 3000; i++) {
      const kind = i % 3;
      const t =
        kind === 0
          ? trial(i, best, `s${i}`, 'keep', 100 - i / 100, ['opt', 'arch'][i % 2])
          : kind === 1
            ? trial(i, best, `s${i}`, 'discard', 101, 'data')
            : trial(i, best, null, 'size_blocked', null, 'arch');
      if (kind === 0) best = `s${i}`;
      trials.push(t);
    }
    assert.equal(preorder(trials).length, 3000);
    const campaign = { _id: 'big', task: 'toy', metric: { name: 'loss', direction: 'minimize' }, baseline: { score: 100 } } as CampaignDoc;
    const html = await renderReport({ campaign, trials });
    assert.equal(html.match(/<section class="keep">/g)?.length, 1000);
    // The last keep is #2997 (every third trial); 3,000 × 3 s of train + evaluate is 2.5 GPU hours.
    const summary = html.slice(html.indexOf('<table class="summary">'), html.indexOf('</table>'));
    assert.match(summary, /best loss<\/td><td>70\.03 \(trial #2997/);
    assert.match(summary, /<td>GPU time<\/td><td>2\.5000 h/);
    assert.equal((html.match(/<svg /g) ?? []).length, 4);
  });
});
