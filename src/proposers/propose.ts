// One proposal for one trial: the campaign's proposer kind decides who writes it.
import type Anthropic from '@anthropic-ai/sdk';
import type { Store } from '../store/db.js';
import type { LoadedTask } from '../task/spec.js';
import type { ClaudeProposerConfig, KnobMove, OptunaProposerConfig, Proposal, ProposalOrigin, ProposeResult, TrialInput, Usage } from '../types.js';
import { trialId } from '../ids.js';
import { rosterMember, type RosterMember } from '../roster.js';
import { loadLineageData, renderLineageView } from '../lineage/view.js';
import { noteProposal, readSummary } from '../lineage/summary.js';
import { proposeOffline, type KnobHistoryItem } from './offline.js';
import { optunaArm, optunaCandidates } from './optuna.js';
import { knobValues } from './knobLines.js';
import { claimTree, duplicateReason, editedRecipe, heldBy } from '../stages/treeClaims.js';
import { addUsage, modelSettings, NO_USAGE } from './claude/settings.js';
import { anthropicClient, runExchange } from './claude/exchange.js';
import { refreshInsights } from './claude/meta.js';
import { systemPrompt, userMessage } from './claude/prompt.js';
import { ReplyError } from './claude/reply.js';

interface ProposeContext {
  store: Store;
  task: LoadedTask;
  parentFiles: Map<string, string>;
  /** Tests pass a client pointed at a local Messages API server; otherwise one from the environment. */
  anthropic?: Anthropic;
}

/** A proposal made, and how many earlier choices were refused as duplicates on the way. */
interface Chosen {
  proposal: Proposal | null;
  refused: number;
  usage?: Usage;
  error?: string;
}

/** Claims the recipe a proposal would train; returns the trial it duplicates, or null when it is this trial's to train. */
function duplicateCheck(input: TrialInput, ctx: ProposeContext) {
  return async (p: Proposal): Promise<number | null> => {
    const edited = editedRecipe(ctx.parentFiles, p.edits);
    return edited ? claimTree(ctx.store, input.campaignId, input.index, edited) : null; // edits that do not apply: apply labels them
  };
}

const trialSeed = (input: TrialInput) => input.seed * 100_003 + input.index;

/** The heuristic: on a duplicate it picks its next-best move, until one is new or none is left. */
async function offline(input: TrialInput, member: RosterMember, ctx: ProposeContext): Promise<Chosen> {
  const [all, mine] = await Promise.all([readSummary(ctx.store.lineage, input.campaignId), readSummary(ctx.store.lineage, input.campaignId, input.specialist)]);
  const history: KnobHistoryItem[] = Object.values(mine.knobs).flat();
  const inFlight = all.inFlight.flatMap((f) => (f.index !== input.index && f.knob ? [f.knob] : []));
  const isDuplicate = duplicateCheck(input, ctx);
  const refused: KnobMove[] = [];
  for (;;) {
    const p = proposeOffline({ specialist: input.specialist, knobs: member.knobs, files: ctx.parentFiles, history, inFlight, refused, seed: trialSeed(input) });
    if (!p)
      return {
        proposal: null,
        refused: refused.length,
        ...(refused.length ? { error: `specialist ${input.specialist}: every move it can still make gives a recipe already trained or in flight` } : {}),
      };
    if ((await isDuplicate(p)) === null) return { proposal: p, refused: refused.length };
    refused.push(p.knob!);
  }
}

/** Optuna asks a few candidates at once (it is told the in-flight ones): the first new recipe is taken. */
const OPTUNA_CANDIDATES = 12;

function optunaAsk(input: TrialInput, config: OptunaProposerConfig, member: RosterMember, ctx: ProposeContext) {
  return optunaCandidates(
    {
      store: ctx.store,
      campaignId: input.campaignId,
      config,
      direction: ctx.task.spec.metric.direction,
      knobs: member.knobs,
      parentFiles: ctx.parentFiles,
      seed: trialSeed(input),
      count: OPTUNA_CANDIDATES,
    },
    input.specialist,
  );
}

async function optuna(input: TrialInput, config: OptunaProposerConfig, member: RosterMember, ctx: ProposeContext): Promise<Chosen> {
  if (member.knobs.length === 0) return { proposal: null, refused: 0, error: `specialist ${input.specialist} owns no declared knob for the optimizer to move` };
  const isDuplicate = duplicateCheck(input, ctx);
  let refused = 0;
  for (const p of await optunaAsk(input, config, member, ctx)) {
    if ((await isDuplicate(p)) === null) return { proposal: p, refused };
    refused++;
  }
  return {
    proposal: null,
    refused,
    error: `the optimizer's ${OPTUNA_CANDIDATES} candidates for ${input.specialist} all give recipes already trained or in flight`,
  };
}

/** The hybrid arm's hint: the optimizer's first candidate whose recipe nobody trains yet (nothing is claimed for it). */
async function optimizerSuggestion(input: TrialInput, config: OptunaProposerConfig, member: RosterMember, ctx: ProposeContext) {
  if (member.knobs.length === 0) return null;
  for (const p of await optunaAsk(input, config, member, ctx)) {
    const edited = editedRecipe(ctx.parentFiles, p.edits);
    if (edited && (await heldBy(ctx.store, input.campaignId, edited)) === null) return { arm: optunaArm(config), hypothesis: p.hypothesis };
  }
  return null;
}

/** Dollars the campaign's proposals have cost so far (model calls of finished and in-flight trials). */
async function dollarsSpent(store: Store, campaignId: string): Promise<number> {
  return (await readSummary(store.lineage, campaignId)).dollars;
}

async function claude(input: TrialInput, config: ClaudeProposerConfig, member: RosterMember, ctx: ProposeContext): Promise<Chosen> {
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
  let lineage: string | null = null;
  if (config.lineage !== false) {
    const data = await loadLineageData(ctx.store, input.campaignId, input.specialist, input.index);
    if (config.optimizer) data.suggestion = await optimizerSuggestion(input, config.optimizer, member, ctx);
    lineage = renderLineageView(data);
  }
  const isDuplicate = duplicateCheck(input, ctx);
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
      if (!t?.sha || !['keep', 'discard'].includes(t.label))
        throw new ReplyError(`port_from: trial ${index} has no trained, legal recipe to port (only keep or discard trials)`);
      if (t.sha === input.parentSha) throw new ReplyError(`port_from: trial ${index} is the recipe you already edit`);
      return { index, sha: t.sha };
    },
    async refuse(p) {
      const of = await isDuplicate(p);
      return of === null ? null : duplicateReason(of);
    },
  });
  return { proposal: x.proposal, refused: x.duplicatesRefused, usage: addUsage(metaUsage, x.usage), ...(x.error ? { error: x.error } : {}) };
}

/** The campaign arm a proposal belongs to, for comparing arms: proposer, lineage and optimizer options, roster. */
function armOf(input: TrialInput): ProposalOrigin {
  const p = input.proposer;
  let arm: string = p.kind;
  if (p.kind === 'optuna') arm = optunaArm(p);
  if (p.kind === 'claude') arm = `claude${p.lineage === false ? '-no-lineage' : ''}${p.optimizer ? `+${optunaArm(p.optimizer)}` : ''}`;
  if (input.roster && input.roster.kind !== 'specialists') arm += `/${input.roster.kind}`;
  return { proposer: p.kind, arm };
}

async function choose(input: TrialInput, member: RosterMember, ctx: ProposeContext): Promise<Chosen> {
  const p = input.proposer;
  switch (p.kind) {
    case 'replay': {
      // A scripted proposal is trained as written: apply refuses it if it duplicates another trial.
      const entry = p.proposals[input.index - 1];
      const scripted = (input.reproposal ? entry?.onConflict?.[input.reproposal - 1] : undefined) ?? (entry && { ...entry, onConflict: undefined });
      return scripted ? { proposal: { ...scripted, specialist: scripted.specialist || input.specialist }, refused: 0 } : offline(input, member, ctx);
    }
    case 'claude': {
      if (input.dollarCap !== undefined && input.dollarCap !== null) {
        const spent = await dollarsSpent(ctx.store, input.campaignId);
        if (spent >= input.dollarCap)
          return { proposal: null, refused: 0, error: `dollar cap reached: $${spent.toFixed(4)} of $${input.dollarCap} spent, no model call made` };
      }
      return claude(input, p, member, ctx);
    }
    case 'optuna':
      return optuna(input, p, member, ctx);
    default:
      return offline(input, member, ctx);
  }
}

export async function propose(input: TrialInput, ctx: ProposeContext): Promise<ProposeResult> {
  const member = rosterMember(ctx.task.spec, input.specialist);
  if (!member) return { ok: false, usage: NO_USAGE, reason: `${input.specialist} is in no roster of task ${ctx.task.spec.name}` };
  const chosen = await choose(input, member, ctx);
  const usage = chosen.usage ?? NO_USAGE;
  const error = chosen.error ?? (chosen.proposal ? undefined : `specialist ${input.specialist} has no knob it can still move`);
  let proposal: Proposal | null = null;
  if (chosen.proposal) {
    // What it records for comparing arms, and the knob values the optimizer learns from.
    const edited = editedRecipe(ctx.parentFiles, chosen.proposal.edits);
    const values = edited && ctx.task.spec.knobs.length ? knobValues(edited, ctx.task.spec.knobs) : null;
    proposal = {
      ...chosen.proposal,
      origin: armOf(input),
      ...(values ? { knobValues: values } : {}),
      ...(chosen.refused ? { duplicatesRefused: chosen.refused } : {}),
    };
  }
  // Noted before the trial trains: siblings see it in flight, and its dollars count at once.
  await noteProposal(ctx.store.lineage, input.campaignId, input.index, proposal, usage.dollars, chosen.refused);
  return proposal ? { ok: true, proposal, usage } : { ok: false, usage, reason: error! };
}
