// The meta analyst (the paper's `meta` role): every few finished trials it rewrites the campaign's
// key-insights note from the whole lineage; every later proposal reads that note in its view.
import type Anthropic from '@anthropic-ai/sdk';
import type { Store } from '../../store/db.js';
import type { ModelSettings, Usage } from '../../types.js';
import { NO_USAGE } from './settings.js';
import { usageOf } from './exchange.js';
import { readSummary } from '../../lineage/summary.js';
import { fill, promptDoc } from './template.js';

/** Whether the note is due, claimed atomically so only one proposer refreshes it per round. */
async function claim(store: Store, campaignId: string, every: number, trialId: string): Promise<number | null> {
  const finished = (await readSummary(store.lineage, campaignId)).total;
  const campaign = await store.campaigns.findOne({ _id: campaignId }, { projection: { insights: 1 } });
  const last = campaign?.insights?.afterTrials ?? 0;
  if (finished - last < every) return null;
  const won = await store.campaigns.updateOne(
    { _id: campaignId, ...(campaign?.insights ? { 'insights.afterTrials': last } : { insights: { $exists: false } }) },
    { $set: { insights: { text: campaign?.insights?.text ?? '', afterTrials: finished, updatedAt: new Date().toISOString(), trialId } } },
  );
  return won.modifiedCount === 1 ? finished : null;
}

export async function refreshInsights(o: {
  store: Store;
  client: Anthropic;
  settings: ModelSettings;
  campaignId: string;
  every: number;
  trialId: string;
  taskTitle: string;
  metric: { name: string; direction: string };
}): Promise<Usage> {
  if (o.every <= 0) return NO_USAGE;
  const finished = await claim(o.store, o.campaignId, o.every, o.trialId);
  if (finished === null) return NO_USAGE;
  const campaign = await o.store.campaigns.findOne({ _id: o.campaignId }, { projection: { insights: 1, best: 1, baseline: 1 } });
  const { recent } = await readSummary(o.store.lineage, o.campaignId);
  const rows = recent.map(
    (t) =>
      `#${t.index} [${t.specialist}] ${t.label} ${t.score ?? '—'} — ${t.hypothesis.slice(0, 160)}${t.label !== 'keep' && t.label !== 'discard' ? ` (why: ${t.reason.slice(0, 120)})` : ''}`,
  );
  const reply = await o.client.messages.create({
    model: o.settings.model,
    max_tokens: Math.min(o.settings.maxTokens, 2048),
    ...(o.settings.effort ? { output_config: { effort: o.settings.effort } } : {}),
    system: fill(promptDoc('meta.md'), { task_title: o.taskTitle, metric: o.metric.name, direction: o.metric.direction }),
    messages: [
      {
        role: 'user',
        content: [
          `Baseline ${campaign?.baseline?.score ?? '—'}; best ${campaign?.best ? `${campaign.best.score} (trial #${campaign.best.index})` : '—'}; ${finished} trials finished.`,
          `Previous note:\n${campaign?.insights?.text || '(none)'}`,
          `Most recent trials:\n${rows.join('\n')}`,
          'Write the updated note.',
        ].join('\n\n'),
      },
    ],
  });
  const text = reply.content
    .flatMap((b) => (b.type === 'text' ? [b.text] : []))
    .join('\n')
    .trim();
  if (text) await o.store.campaigns.updateOne({ _id: o.campaignId }, { $set: { 'insights.text': text, 'insights.updatedAt': new Date().toISOString() } });
  return usageOf(o.settings, reply.usage);
}
