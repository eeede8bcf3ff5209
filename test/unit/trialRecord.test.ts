// The trial record and outcome, assembled from stage results (src/trialRecord.ts, used by the trial workflow).
import assert from 'node:assert/strict';
import { addUsage, slotSeconds, trialOutcome, trialRecord } from '../../src/trialRecord.js';
import type { TrialInput, Verdict } from '../../src/types.js';

const input = { campaignId: 'c', task: 'toy', preset: 'cpu', index: 3, specialist: 'opt', parentSha: 'p0', startedAt: 't0' } as TrialInput;
const verdict: Verdict = { label: 'discard', score: 1.5, keep: false, reason: 'no gain', rule: 'r', bestBefore: 1.2, repeats: 1, spread: null };

describe('trial record', () => {
  it('sums every usage field over re-proposals, leaving fields neither side has unset', () => {
    const sum = addUsage(
      { inputTokens: 1, outputTokens: 2, dollars: 0.5, calls: 1 },
      { inputTokens: 10, outputTokens: 20, dollars: 1, calls: 2, cacheReadTokens: 7 },
    );
    assert.deepEqual(sum, { inputTokens: 11, outputTokens: 22, dollars: 1.5, calls: 3, cacheReadTokens: 7 });
    assert.equal('cacheWriteTokens' in sum, false);
  });

  it('records the parent it trained on beside the one it was proposed on, and counts only slot stages as GPU time', () => {
    const stages = [
      { stage: 'propose', startedAt: 'a', seconds: 4 },
      { stage: 'train', startedAt: 'b', seconds: 10 },
      { stage: 'evaluate', startedAt: 'c', seconds: 2 },
    ];
    const proposal = { specialist: 'opt', hypothesis: 'raise LR', edits: [] };
    const rebases = [{ from: 'p0', onto: 'p1', ontoIndex: 2, how: 'merged' as const }];
    const record = trialRecord({
      trialId: 'c-3',
      input,
      parentSha: 'p1',
      rebases,
      sha: 's3',
      diff: 'd',
      proposal,
      verdict,
      runs: [],
      stages,
      usage: { inputTokens: 1, outputTokens: 1, dollars: 0.25 },
      finishedAt: 't1',
    });
    assert.deepEqual([record.parentSha, record.proposedOnSha, record.hypothesis, record.train, record.logExcerpt], ['p1', 'p0', 'raise LR', null, '']);
    assert.equal(slotSeconds(stages), 12);
    assert.deepEqual(trialOutcome(record, 12), {
      trialId: 'c-3',
      index: 3,
      specialist: 'opt',
      label: 'discard',
      score: 1.5,
      keep: false,
      sha: 's3',
      hypothesis: 'raise LR',
      gpuSeconds: 12,
      dollars: 0.25,
    });
    const baseline = trialRecord({
      trialId: 'c-0',
      input: { ...input, index: 0, specialist: 'baseline' },
      parentSha: 'p0',
      rebases: [],
      sha: 'p0',
      diff: '',
      proposal: null,
      verdict,
      runs: [],
      stages: [],
      usage: { inputTokens: 0, outputTokens: 0, dollars: 0 },
      finishedAt: 't1',
    });
    assert.equal(baseline.hypothesis, 'baseline recipe');
  });
});
