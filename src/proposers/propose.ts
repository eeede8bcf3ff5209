// One proposal for one trial: the campaign's proposer kind decides who writes it.
import type { Store } from '../store/db.js';
import type { LoadedTask } from '../task/spec.js';
import type { KnobMove, Proposal, ProposeResult, TrialInput } from '../types.js';
import { trialId } from '../ids.js';
import { proposeOffline, type KnobHistoryItem } from './offline.js';

const NO_USAGE = { inputTokens: 0, outputTokens: 0, dollars: 0 };

export interface ProposeContext {
  store: Store;
  task: LoadedTask;
  parentFiles: Map<string, string>;
}

async function offline(input: TrialInput, ctx: ProposeContext): Promise<Proposal | null> {
  const done = await ctx.store.trials
    .find({ campaignId: input.campaignId, 'proposal.knob': { $exists: true } }, { projection: { 'proposal.knob': 1, label: 1, index: 1 } })
    .sort({ index: -1 })
    .limit(200)
    .toArray();
  const history: KnobHistoryItem[] = done.map((t) => ({ knob: t.proposal!.knob!, label: t.label, index: t.index }));
  const open = await ctx.store.proposals.find({ campaignId: input.campaignId, done: false }).toArray();
  const inFlight = open.flatMap((p) => (p._id !== trialId(input.campaignId, input.index) && p.proposal.knob ? [p.proposal.knob as KnobMove] : []));
  return proposeOffline({
    specialist: input.specialist,
    knobs: ctx.task.spec.knobs,
    files: ctx.parentFiles,
    history,
    inFlight,
    seed: input.seed * 100_003 + input.index,
  });
}


export async function propose(input: TrialInput, ctx: ProposeContext): Promise<ProposeResult> {
  let proposal: Proposal | null = null;
  if (input.proposer.kind === 'replay') {
    const scripted = input.proposer.proposals[input.index - 1];
    if (scripted) proposal = { ...scripted, specialist: scripted.specialist || input.specialist };
  }
  proposal ??= await offline(input, ctx);
  if (!proposal) {
    return { ok: false, usage: NO_USAGE, error: `specialist ${input.specialist} has no knob it can still move` };
  }
  await ctx.store.proposals.updateOne(
    { _id: trialId(input.campaignId, input.index) },
    { $set: { campaignId: input.campaignId, index: input.index, proposal, usage: NO_USAGE, createdAt: new Date().toISOString(), done: false } },
    { upsert: true },
  );
  return { ok: true, proposal, usage: NO_USAGE };
}
