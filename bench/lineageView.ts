// Builds the lineage view over synthetic campaigns of 100, 1,000 and 10,000 trials in one run,
// against the real MongoDB-wire server: time to load and render, and the view's size.
import { performance } from 'node:perf_hooks';
import type { Store, TrialDoc } from '../src/store/db.js';
import type { Label } from '../src/types.js';
import { approxTokens, loadLineageData, renderLineageView } from '../src/lineage/view.js';
import { trialId } from '../src/ids.js';
import { mulberry32 } from '../src/proposers/offline.js';
import { emptySummary, foldMemberOutcome, foldOutcome, memberKey, type LineageSummaryDoc } from '../src/lineage/summary.js';

const SPECIALISTS = ['arch', 'opt', 'quant', 'reg', 'loss', 'eval', 'curr', 'tok'];
const LABELS: Label[] = ['discard', 'discard', 'discard', 'crash', 'train_budget_overrun', 'size_blocked', 'diverged', 'apply_failed', 'gate_miss'];

async function seedCampaign(store: Store, campaignId: string, n: number): Promise<void> {
  const rand = mulberry32(n);
  let best = { sha: 'sha-0', score: 3.66, index: 0 };
  const docs: TrialDoc[] = [];
  for (let i = 0; i <= n; i++) {
    const keep = i === 0 || rand() < 0.04;
    const score = keep ? (i === 0 ? 3.66 : best.score - 0.001 - rand() * 0.01) : rand() < 0.6 ? best.score + rand() * 0.05 : null;
    const label: Label = keep ? 'keep' : score !== null ? 'discard' : LABELS[3 + Math.floor(rand() * 6)]!;
    const sha = keep || label === 'discard' ? `sha-${i}` : null;
    docs.push({
      _id: trialId(campaignId, i),
      trialId: trialId(campaignId, i),
      campaignId,
      task: 'golf-mini',
      index: i,
      specialist: i === 0 ? 'baseline' : SPECIALISTS[i % SPECIALISTS.length]!,
      parentSha: i === 0 ? '' : best.sha,
      sha,
      hypothesis: `trial ${i}: change the ${SPECIALISTS[i % 8]} recipe in a specific way that is described in about one sentence`,
      proposal: null,
      diff: `--- a/train.py\n+++ b/train.py\n@@ -1 +1 @@\n-A = ${i}\n+A = ${i + 1}\n`,
      label,
      score,
      keep,
      reason: label === 'discard' ? 'not better than the best' : `failed: ${label} with a reason of typical length`,
      rule: 'legality',
      spread: null,
      metrics: {},
      stages: [],
      usage: { inputTokens: 12_000, outputTokens: 900, dollars: 0.05 },
      train: null,
      logExcerpt: 'step 100 loss 3.2\n'.repeat(100),
      startedAt: new Date().toISOString(),
      finishedAt: new Date().toISOString(),
      recordedAt: new Date().toISOString(),
    });
    if (keep && score !== null) best = { sha: `sha-${i}`, score, index: i };
  }
  for (let i = 0; i < docs.length; i += 1000) await store.trials.insertMany(docs.slice(i, i + 1000));
  // The summaries the record stage keeps, folded in memory with the same code (10,000 round trips would only time the seeding).
  const all = emptySummary(campaignId, campaignId);
  const members = new Map<string, LineageSummaryDoc>();
  for (const d of docs) {
    const delta = foldOutcome(all, d) ?? null;
    const m = members.get(d.specialist) ?? emptySummary(memberKey(campaignId, d.specialist), campaignId);
    foldMemberOutcome(m, d, delta);
    members.set(d.specialist, m);
  }
  for (let k = 1; k <= 8; k++) all.inFlight.push({ index: n + k, specialist: SPECIALISTS[k - 1]!, hypothesis: 'in flight' });
  await store.lineage.insertMany([all, ...members.values()]);
  await store.campaigns.insertOne({
    _id: campaignId,
    task: 'golf-mini',
    preset: 'cpu',
    input: { campaignId, task: 'golf-mini', budget: { trials: n }, parallelism: 8, proposer: { kind: 'offline' } },
    baselineSha: 'sha-0',
    evaluatorHash: 'x',
    metric: { name: 'val_bpb', direction: 'minimize' },
    createdAt: new Date().toISOString(),
    best: { trialId: trialId(campaignId, best.index), index: best.index, score: best.score, sha: best.sha },
    baseline: { score: 3.66, label: 'keep', spread: null },
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function benchLineageView(store: Store, runs = 15): Promise<string[]> {
  const lines: string[] = [];
  const results: { n: number; ms: number; renderMs: number; text: string }[] = [];
  for (const n of [100, 1_000, 10_000]) {
    const id = `bench-view-${n}-${Date.now().toString(36)}`;
    await seedCampaign(store, id, n);
    await loadLineageData(store, id, 'opt', n + 1); // warm-up
    const times: number[] = [];
    const renders: number[] = [];
    let text = '';
    for (let r = 0; r < runs; r++) {
      const t0 = performance.now();
      const data = await loadLineageData(store, id, 'opt', n + 1);
      const t1 = performance.now();
      text = renderLineageView(data);
      const t2 = performance.now();
      times.push(t2 - t0);
      renders.push(t2 - t1);
    }
    results.push({ n, ms: median(times), renderMs: median(renders), text });
  }
  const base = results[0]!;
  lines.push('lineage view (median of ' + runs + ' builds; MongoDB load + render):');
  for (const r of results) {
    lines.push(
      `  ${String(r.n).padStart(6)} trials: ${r.ms.toFixed(1).padStart(7)} ms (render ${r.renderMs.toFixed(2)} ms), ${r.text.length} chars ≈ ${approxTokens(r.text)} tokens; ${(r.ms / base.ms).toFixed(2)}x the 100-trial build`,
    );
  }
  const big = results.at(-1)!;
  lines.push(`  target < 100 ms at 10,000 trials: ${big.ms < 100 ? 'met' : 'NOT met'} (${big.ms.toFixed(1)} ms)`);
  return lines;
}
