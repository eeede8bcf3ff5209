// Model settings per specialist, and what a call costs. Prices are dollars per million tokens;
// a model missing from the table needs `price` in its settings, so no call is ever costed at zero.
import { z } from 'zod';
import type { ClaudeProposerConfig, ModelSettings, Usage } from '../../types.js';
import { firstProblem } from '../../campaignInput.js';

const EFFORTS = ['low', 'medium', 'high', 'xhigh', 'max'] as const;
/** A model's settings after defaults: price and model are checked against the price table. */
const modelSettingsSchema = z.looseObject({
  maxTokens: z.int({ error: 'a whole number >= 256' }).min(256, { error: 'a whole number >= 256' }),
  temperature: z.never({ error: 'not supported by the Messages API this SDK speaks; use effort (low, medium, high, xhigh, max)' }).optional(),
  effort: z.enum(EFFORTS, { error: `one of ${EFFORTS.join(', ')}` }).optional(),
});
const metaEverySchema = z.int({ error: 'a whole number >= 0' }).min(0, { error: 'a whole number >= 0' }).optional();

const DEFAULT_MODEL: ModelSettings = { model: 'claude-sonnet-4-6', maxTokens: 4096 };

// From platform.claude.com/docs/en/about-claude/pricing. cacheRead is the multiple of the input price
// a cache hit costs (5-minute cache writes cost 1.25x for all of these).
const PRICES: Record<string, { input: number; output: number; cacheRead?: number }> = {
  'claude-sonnet-4-6': { input: 3, output: 15 },
  'claude-sonnet-4-5': { input: 3, output: 15 },
  'claude-haiku-4-5': { input: 1, output: 5 },
  'claude-opus-4-5': { input: 5, output: 25 },
  'claude-opus-4-6': { input: 5, output: 25 },
  'claude-opus-4-7': { input: 5, output: 25 },
  'claude-opus-4-8': { input: 5, output: 25 },
  'claude-opus-5': { input: 5, output: 25 },
  'claude-fable-5': { input: 10, output: 50 },
  'claude-fable-5-1': { input: 10, output: 50, cacheRead: 0.025 },
};

export function modelSettings(config: ClaudeProposerConfig, specialist: string): ModelSettings {
  return { ...DEFAULT_MODEL, ...config.model, ...config.models?.[specialist] };
}

function priceOf(settings: ModelSettings): { input: number; output: number; cacheRead?: number } | null {
  // Dated ids (claude-haiku-4-5-20251001) cost what their alias costs.
  return settings.price ?? PRICES[settings.model] ?? PRICES[settings.model.replace(/-\d{8}$/, '')] ?? null;
}

/** Dollars for a usage: cache writes cost 1.25x input, cache reads 0.1x (or the model's own multiple). */
export function dollarsFor(settings: ModelSettings, u: Omit<Usage, 'dollars'>): number {
  const p = priceOf(settings);
  if (!p) throw new Error(`no price for model ${settings.model}`);
  const input = u.inputTokens + 1.25 * (u.cacheWriteTokens ?? 0) + (p.cacheRead ?? 0.1) * (u.cacheReadTokens ?? 0);
  return (input * p.input + u.outputTokens * p.output) / 1e6;
}

export function addUsage(a: Usage, b: Usage): Usage {
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    cacheWriteTokens: (a.cacheWriteTokens ?? 0) + (b.cacheWriteTokens ?? 0),
    cacheReadTokens: (a.cacheReadTokens ?? 0) + (b.cacheReadTokens ?? 0),
    calls: (a.calls ?? 0) + (b.calls ?? 0),
    dollars: a.dollars + b.dollars,
  };
}

export const NO_USAGE: Usage = { inputTokens: 0, outputTokens: 0, dollars: 0 };

/** Why a Claude campaign cannot start (no key, a model without a price, bad settings), or null. */
export function checkClaudeConfig(config: ClaudeProposerConfig, roster: string[], env: NodeJS.ProcessEnv): string | null {
  if (!env.ANTHROPIC_API_KEY) return 'proposer claude needs ANTHROPIC_API_KEY on the control worker (unset: use the offline proposer)';
  for (const name of [...roster, 'meta']) {
    const s = modelSettings(config, name);
    if (!priceOf(s)) return `proposer.models.${name}: model ${s.model} has no built-in price; give price {input, output} in dollars per million tokens`;
    const bad = firstProblem(modelSettingsSchema, s, `proposer.models.${name}`);
    if (bad) return bad;
  }
  return firstProblem(metaEverySchema, config.metaEvery, 'proposer.metaEvery');
}
