// One proposal for one trial: the campaign's proposer kind decides who writes it.
import type Anthropic from '@anthropic-ai/sdk';
import type { Store } from '../store/db.js';
import type { LoadedTask } from '../task/spec.js';
import type { ClaudeProposerConfig, Proposal, ProposeResult, TrialInput, Usage } from '../types.js';
import { trialId } from '../ids.js';
import { rosterMember, type RosterMember } from '../roster.js';
import { loadLineageData, renderLineageView } from '../lineage/view.js';
import { noteProposal, readSummary } from '../lineage/summary.js';
import { proposeOffline, type KnobHistoryItem } from './offline.js';
import { addUsage, modelSettings, NO_USAGE } from './claude/settings.js';
import { anthropicClient, runExchange } from './claude/exchange.js';
import { refreshInsights } from './claude/meta.js';
import { systemPrompt, userMessage } from './claude/prompt.js';
import { ReplyError } from './claude/reply.js';

export interface ProposeContext {
  store: Store;
  task: LoadedTask;
  parentFiles: Map<string, string>;
  /** Tests pass a client pointed at a local Messages API server; otherwise one from the environment. */
  anthropic?: Anthropic;
}

async function offline(input: TrialInput, member: RosterMember, ctx: ProposeContext): Promise<Proposal | null> {
  const [all, mine] = await Promise.all([readSummary(ctx.store.lineage, input.campaignId), readSummary(ctx.store.lineage, input.campaignId, input.specialist)]);
  const history: KnobHistoryItem[] = Object.values(mine.knobs).flat();
  const inFlight = all.inFlight.flatMap((f) => (f.index !== input.index && f.knob ? [f.knob] : []));
  return proposeOffline({ specialist: input.specialist, knobs: member.knobs, files: ctx.parentFiles, history, inFlight, seed: input.seed * 100_003 + input.index });
}

/** Dollars the campaign's proposals have cost so far (model calls of finished and in-flight trials). */
async function dollarsSpent(store: Store, campaignId: string): Promise<number> {
  return (await readSummary(store.lineage, campaignId)).dollars;
}

async function claude(input: TrialInput, config: ClaudeProposerConfig, member: RosterMember, ctx: ProposeContext): Promise<{ proposal: Proposal | null; usage: Usage; error?: string }> {
  const client = ctx.anthropic ?? anthropicClient();
  const id = trialId(input.campaignId, input.index);
  const metaUsage = await refreshInsights({
    store: ctx.store,
    client,
    settings: modelSettings(config, 'meta'),
    campaignId: input.campaignId,
    every: config.metaEvery ?? 10,
    trialId: id,
    taskTitle: ctx.task.spec.title || ctx.task.spec.name,
    metric: ctx.task.spec.metric,
  });
  const lineage = config.lineage === false ? null : renderLineageView(await loadLineageData(ctx.store, input.campaignId, input.specialist, input.index));
  const x = await runExchange({
    client,
    settings: modelSettings(config, input.specialist),
    member,
    system: systemPrompt(ctx.task, member),
    user: userMessage(lineage, ctx.parentFiles),
    store: ctx.store,
    campaignId: input.campaignId,
    parentFiles: ctx.parentFiles,
    async resolvePort(index) {
      const t = await ctx.store.trials.findOne({ _id: trialId(input.campaignId, index) }, { projection: { sha: 1, label: 1 } });
      if (!t?.sha || !['keep', 'discard'].includes(t.label)) throw new ReplyError(`port_from: trial ${index} has no trained, legal recipe to port (only keep or discard trials)`);
      if (t.sha === input.parentSha) throw new ReplyError(`port_from: trial ${index} is the recipe you already edit`);
      return { index, sha: t.sha };
    },
  });
  return { proposal: x.proposal, usage: addUsage(metaUsage, x.usage), ...(x.error ? { error: x.error } : {}) };
}

export async function propose(input: TrialInput, ctx: ProposeContext): Promise<ProposeResult> {
  const member = rosterMember(ctx.task.spec, input.specialist);
  if (!member) return { ok: false, usage: NO_USAGE, error: `${input.specialist} is in no roster of task ${ctx.task.spec.name}` };
  let proposal: Proposal | null = null;
  let usage = NO_USAGE;
  let error: string | undefined;
  const p = input.proposer;
  if (p.kind === 'replay') {
    const scripted = p.proposals[input.index - 1];
    if (scripted) proposal = { ...scripted, specialist: scripted.specialist || input.specialist };
    proposal ??= await offline(input, member, ctx);
  } else if (p.kind === 'claude') {
    if (input.dollarCap !== undefined && input.dollarCap !== null) {
      const spent = await dollarsSpent(ctx.store, input.campaignId);
      if (spent >= input.dollarCap) return { ok: false, usage: NO_USAGE, error: `dollar cap reached: $${spent.toFixed(4)} of $${input.dollarCap} spent, no model call made` };
    }
    ({ proposal, usage, error } = await claude(input, p, member, ctx));
  } else {
    proposal = await offline(input, member, ctx);
  }
  error ??= proposal ? undefined : `specialist ${input.specialist} has no knob it can still move`;
  // Noted before the trial trains: siblings see it in flight, and its dollars count at once.
  await noteProposal(ctx.store.lineage, input.campaignId, input.index, proposal, usage.dollars);
  await ctx.store.proposals.updateOne(
    { _id: trialId(input.campaignId, input.index) },
    {
      $set: {
        campaignId: input.campaignId,
        index: input.index,
        proposal: proposal ?? { specialist: input.specialist, hypothesis: '', edits: [] },
        usage,
        createdAt: new Date().toISOString(),
        done: !proposal,
        ...(error ? { error } : {}),
      },
    },
    { upsert: true },
  );
  return proposal ? { ok: true, proposal, usage } : { ok: false, usage, error: error! };
}
