// Which specialist a free slot gets. Round-robin by default; the bandit is sliding-window UCB1
// over recent rewards, so a surface whose keeps still pay gains slots and one whose keeps dried
// up loses them, while the exploration bonus keeps every specialist tried now and then.
// Pure and deterministic: the campaign workflow calls it and carries the window.
import type { SpecialistReward } from './types.js';
import { gainOver, type Direction } from './metric.js';

/** Finished trials the bandit remembers (across all specialists). */
export const BANDIT_WINDOW = 30;
/** A keep that improves the best by this relative amount (or more) earns the full reward. */
const FULL_REWARD_GAIN = 0.01;

export function roundRobin(specialists: string[], position: number): string {
  return specialists[position % specialists.length]!;
}

/**
 * A trial's reward in [0, 1]: 0 unless kept; a keep earns 0.5 plus up to 0.5 for how much it
 * improved on the best before it (relative), so big keeps count more than marginal ones.
 */
export function trialReward(keep: boolean, score: number | null, bestBefore: number | null, direction: Direction): number {
  if (!keep || score === null) return 0;
  if (bestBefore === null || bestBefore === 0) return 1;
  const gain = gainOver(direction, score, bestBefore) / Math.abs(bestBefore);
  return 0.5 + 0.5 * Math.min(1, Math.max(0, gain / FULL_REWARD_GAIN));
}

/** The window with one more finished trial, trimmed to the last `size`. */
export function remember(window: SpecialistReward[], entry: SpecialistReward, size = BANDIT_WINDOW): SpecialistReward[] {
  return [...window, entry].slice(-size);
}

/**
 * UCB1 over the window: mean reward + sqrt(2 ln N / n). Trials still in flight count as pulls
 * (without a reward yet), so parallel slots spread over specialists. A specialist with no pull
 * in the window goes first; ties go to roster order.
 */
export function chooseByBandit(specialists: string[], window: SpecialistReward[], inFlight: string[]): string {
  if (!specialists.length) throw new Error('chooseByBandit: no specialists');
  const stats = specialists.map((name) => {
    const rewards = window.filter((w) => w.specialist === name).map((w) => w.reward);
    const pending = inFlight.filter((s) => s === name).length;
    return { name, n: rewards.length + pending, mean: rewards.length ? rewards.reduce((a, b) => a + b, 0) / rewards.length : 0 };
  });
  const untried = stats.find((s) => s.n === 0);
  if (untried) return untried.name;
  const total = stats.reduce((a, s) => a + s.n, 0);
  let best = stats[0]!;
  let bestScore = -Infinity;
  for (const s of stats) {
    const score = s.mean + Math.sqrt((2 * Math.log(total)) / s.n);
    if (score > bestScore + 1e-12) {
      best = s;
      bestScore = score;
    }
  }
  return best.name;
}
