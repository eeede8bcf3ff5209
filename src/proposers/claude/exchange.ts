// One proposal is one short tool-using exchange: the agent reads (within a budget), then calls
// submit_proposal. A malformed submission gets one repair turn carrying the parser's error;
// a second bad one ends the trial as proposal_invalid. So does a proposal whose recipe duplicates
// a trial already trained or in flight: one repair turn names that trial, a second duplicate ends it.
import Anthropic from '@anthropic-ai/sdk';
import type { ModelSettings, Proposal, Usage } from '../../types.js';
import type { RosterMember } from '../../roster.js';
import { addUsage, dollarsFor, NO_USAGE } from './settings.js';
import { parseSubmission, ReplyError } from './reply.js';
import { TOOLS, createReader, type ReadContext } from './readTools.js';

/** Turns per exchange, the last of which must submit. */
const MAX_TURNS = 8;

interface ExchangeInput extends ReadContext {
  client: Anthropic;
  settings: ModelSettings;
  member: RosterMember;
  system: Anthropic.TextBlockParam[];
  user: string;
  /** Checks a port_from index and returns that trial's commit; throws ReplyError when it cannot be ported. */
  resolvePort(index: number): Promise<{ index: number; sha: string }>;
  /** Why a well-formed proposal is refused (its recipe duplicates another trial's), or null to accept it. */
  refuse?(proposal: Proposal): Promise<string | null>;
}

interface ExchangeResult {
  proposal: Proposal | null;
  error?: string;
  usage: Usage;
  turns: number;
  /** Proposals refused as duplicates on the way. */
  duplicatesRefused: number;
}

export function anthropicClient(): Anthropic {
  // The SDK retries 408, 409, 429, 5xx and 529 (overloaded) with backoff, honouring retry-after.
  return new Anthropic({ maxRetries: 5, timeout: 180_000 });
}

export function usageOf(settings: ModelSettings, u: Anthropic.Usage): Usage {
  const base = {
    inputTokens: u.input_tokens,
    outputTokens: u.output_tokens,
    cacheWriteTokens: u.cache_creation_input_tokens ?? 0,
    cacheReadTokens: u.cache_read_input_tokens ?? 0,
    calls: 1,
  };
  return { ...base, dollars: dollarsFor(settings, base) };
}

export async function runExchange(x: ExchangeInput): Promise<ExchangeResult> {
  const reader = createReader(x);
  const messages: Anthropic.MessageParam[] = [{ role: 'user', content: x.user }];
  let usage = NO_USAGE;
  let repaired = false;
  let duplicatesRefused = 0;
  const invalid = (error: string, turns: number): ExchangeResult => ({ proposal: null, error, usage, turns, duplicatesRefused });

  for (let turn = 1; turn <= MAX_TURNS; turn++) {
    const last = turn === MAX_TURNS;
    const reply = await x.client.messages.create({
      model: x.settings.model,
      max_tokens: x.settings.maxTokens,
      ...(x.settings.effort ? { output_config: { effort: x.settings.effort } } : {}),
      system: x.system,
      tools: TOOLS,
      tool_choice: last ? { type: 'tool', name: 'submit_proposal' } : { type: 'auto' },
      messages,
    });
    usage = addUsage(usage, usageOf(x.settings, reply.usage));
    messages.push({ role: 'assistant', content: reply.content });
    const calls = reply.content.filter((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use');

    if (calls.length === 0) {
      const why = reply.stop_reason === 'max_tokens' ? 'the reply hit max_tokens before calling submit_proposal' : 'the reply did not call submit_proposal';
      if (repaired || last) return invalid(why, turn);
      repaired = true;
      messages.push({ role: 'user', content: `${why}. Call submit_proposal now with your proposal.` });
      continue;
    }

    const results: Anthropic.ToolResultBlockParam[] = [];
    for (const call of calls) {
      if (call.name !== 'submit_proposal') {
        const r = await reader.run(call.name, (call.input ?? {}) as Record<string, unknown>);
        results.push({ type: 'tool_result', tool_use_id: call.id, content: r.text, ...(r.isError ? { is_error: true } : {}) });
        continue;
      }
      try {
        const s = parseSubmission(call.input, x.parentFiles);
        const portedFrom = s.port_from !== undefined ? await x.resolvePort(s.port_from) : undefined;
        const proposal: Proposal = {
          specialist: x.member.name,
          hypothesis: s.hypothesis,
          expectedDelta: s.expected_delta,
          rationale: s.rationale,
          edits: s.edits,
          ...(portedFrom ? { portedFrom } : {}),
        };
        const refused = x.refuse ? await x.refuse(proposal) : null;
        if (refused === null) return { proposal, usage, turns: turn, duplicatesRefused };
        duplicatesRefused++;
        if (duplicatesRefused > 1 || last) return invalid(`duplicate proposal after a repair turn: ${refused}`, turn);
        results.push({
          type: 'tool_result',
          tool_use_id: call.id,
          is_error: true,
          content: `Your proposal was refused before training: ${refused}. Propose a different recipe and call submit_proposal again.`,
        });
      } catch (err) {
        if (!(err instanceof ReplyError)) throw err;
        if (repaired || last) return invalid(`submit_proposal rejected after a repair turn: ${err.message}`, turn);
        repaired = true;
        results.push({
          type: 'tool_result',
          tool_use_id: call.id,
          is_error: true,
          content: `Your proposal was rejected: ${err.message}. Fix it and call submit_proposal again.`,
        });
      }
    }
    messages.push({ role: 'user', content: results });
  }
  return invalid(`no proposal within ${MAX_TURNS} turns`, MAX_TURNS);
}
