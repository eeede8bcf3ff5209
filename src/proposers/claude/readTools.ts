// What the agent may read before it writes: the parent recipe's files, and earlier trials (their
// diffs, outcomes, logs and recipe snapshots). Every read counts against one budget per proposal.
import type Anthropic from '@anthropic-ai/sdk';
import type { Store } from '../../store/db.js';
import { loadSnapshot } from '../../recipe/snapshot.js';
import { trialId } from '../../ids.js';
import { submitToolSchema } from './reply.js';

const READ_BUDGET_CHARS = 60_000;
const MAX_TRIAL_DIFF = 8_000;

export const TOOLS: Anthropic.Tool[] = [
  {
    name: 'read_file',
    description: 'Read one file of the recipe you edit (the current best), or of an earlier trial when `trial` is given.',
    input_schema: { type: 'object', properties: { path: { type: 'string' }, trial: { type: 'integer' } }, required: ['path'] },
  },
  {
    name: 'read_trial',
    description: 'Read an earlier trial: hypothesis, outcome label, score, reason, its diff, and the tail of its training log.',
    input_schema: { type: 'object', properties: { index: { type: 'integer' } }, required: ['index'] },
  },
  {
    name: 'submit_proposal',
    description: 'Submit your one proposal for this trial. Call it exactly once.',
    input_schema: submitToolSchema as unknown as Anthropic.Tool.InputSchema,
  },
];

export interface ReadContext {
  store: Store;
  campaignId: string;
  parentFiles: Map<string, string>;
}

/** A reader with its own budget; answers are strings for tool_result blocks. */
export function createReader(ctx: ReadContext) {
  let spent = 0;
  const charge = (text: string): { text: string; isError: boolean } => {
    if (spent >= READ_BUDGET_CHARS) return { text: `read budget of ${READ_BUDGET_CHARS} characters is spent: call submit_proposal now`, isError: true };
    const room = READ_BUDGET_CHARS - spent;
    const out = text.length > room ? `${text.slice(0, room)}\n[… cut at the read budget]` : text;
    spent += out.length;
    return { text: out, isError: false };
  };
  const fail = (text: string) => ({ text, isError: true });

  async function trialDoc(index: number) {
    return ctx.store.trials.findOne(
      { _id: trialId(ctx.campaignId, index) },
      { projection: { hypothesis: 1, specialist: 1, label: 1, score: 1, reason: 1, diff: 1, logExcerpt: 1, sha: 1, parentSha: 1, index: 1 } },
    );
  }

  return {
    get spent() {
      return spent;
    },
    async run(name: string, input: Record<string, unknown>): Promise<{ text: string; isError: boolean }> {
      if (name === 'read_file') {
        const file = String(input.path ?? '');
        let files = ctx.parentFiles;
        if (input.trial !== undefined) {
          const t = await trialDoc(Number(input.trial));
          if (!t?.sha) return fail(`trial ${String(input.trial)} has no recipe commit (it failed before apply, or does not exist)`);
          files = await loadSnapshot(ctx.store, t.sha);
        }
        const content = files.get(file);
        if (content === undefined) return fail(`no file ${file}; the recipe has: ${[...files.keys()].join(', ')}`);
        return charge(content);
      }
      if (name === 'read_trial') {
        const t = await trialDoc(Number(input.index));
        if (!t) return fail(`no finished trial ${String(input.index)} in this campaign`);
        const diff = (t.diff ?? '').length > MAX_TRIAL_DIFF ? `${t.diff!.slice(0, MAX_TRIAL_DIFF)}\n[… diff cut]` : (t.diff ?? '(none)');
        return charge(
          [
            `trial #${t.index} [${t.specialist}] ${t.label} score ${t.score ?? '—'}`,
            `hypothesis: ${t.hypothesis}`,
            `reason: ${t.reason}`,
            `diff:\n${diff}`,
            `log tail:\n${(t.logExcerpt ?? '').slice(-2000)}`,
          ].join('\n'),
        );
      }
      return fail(`unknown tool ${name}`);
    },
  };
}
