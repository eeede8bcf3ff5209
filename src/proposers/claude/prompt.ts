// The prompt of one proposal. The system prompt is static for a (task, specialist) pair and is
// marked for prompt caching; the user message carries what changes: the lineage view. The
// protocol and the hard limits are documents in ./prompts.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type Anthropic from '@anthropic-ai/sdk';
import type { LoadedTask } from '../../task/spec.js';
import type { RosterMember } from '../../roster.js';
import { betterWord } from '../../metric.js';
import { fill, promptDoc } from './template.js';

function hardLimits(task: LoadedTask): string {
  const s = task.spec;
  return fill(promptDoc('limits.md'), {
    metric: s.metric.name,
    better: betterWord(s.metric.direction),
    train_budget_s: s.train.budget_s,
    train_grace_s: s.train.grace_s,
    eval_budget_s: s.evaluate.budget_s,
    memory_limit_mb: s.memory_limit_mb,
    size_cap_bytes: s.size?.cap_bytes ?? null,
    min_delta: s.keep_rule.min_delta,
    noise_sigmas: s.keep_rule.noise_sigmas,
    repeats: `${s.keep_rule.repeats} run${s.keep_rule.repeats > 1 ? 's' : ''}`,
  });
}

/** System prompt blocks: task knowledge and limits (shared by the roster), then this member's role; cached. */
export function systemPrompt(task: LoadedTask, member: RosterMember): Anthropic.TextBlockParam[] {
  const knowledge = task.spec.knowledge ? readFileSync(path.join(task.dir, task.spec.knowledge), 'utf8') : '';
  const shared = [
    `You are a member of an autonomous research team improving a training recipe: task "${task.spec.name}"${task.spec.title ? ` (${task.spec.title})` : ''}.`,
    'Each proposal you make is applied to the current best recipe, trained, scored by an external evaluator and judged; its outcome is fed back to the team as lineage.',
    '',
    '# Hard limits',
    hardLimits(task),
    '',
    promptDoc('protocol.md'),
    knowledge ? `\n# Task knowledge\n${knowledge.trim()}` : '',
  ].join('\n');
  const role = [`# Your role: ${member.name}`, member.preamble.trim(), '', `Your surface (the only files you may edit): ${member.surface.join(', ')}`].join(
    '\n',
  );
  return [
    { type: 'text', text: shared },
    { type: 'text', text: role, cache_control: { type: 'ephemeral' } },
  ];
}

export function userMessage(lineage: string | null, files: Map<string, string>): string {
  const listing = [...files].map(([f, c]) => `- ${f} (${c.length} chars)`).join('\n');
  return [
    lineage ?? 'You see no lineage in this campaign: propose from the recipe and the task knowledge alone.',
    '',
    '# The recipe you edit (current best)',
    listing,
    '',
    'Read what you need, then call submit_proposal once.',
  ].join('\n');
}
