// The campaign's stopping rules and budget checks. Pure and deterministic: the campaign
// workflow calls them with workflow time, and the setBudget update's validator uses them.
import type { Budget, BudgetChange, Plateau, Spent } from './types.js';

export interface RuleState {
  budget: Budget;
  plateau?: Plateau | null;
  spent: Spent;
  /** Milliseconds since the epoch (workflow time inside the workflow). */
  now: number;
  /** When the last keep (or the baseline) finished, in ms. */
  lastKeepAt: number;
  /** Finished trials since the last keep (or the baseline). */
  trialsSinceKeep: number;
}

const HOUR_MS = 3_600_000;
const round = (x: number, digits = 4) => Number(x.toFixed(digits));

/** Why the campaign must start no more trials, or null while every rule allows one. */
export function stopReason(s: RuleState): string | null {
  const { budget, plateau, spent } = s;
  if (spent.trials >= budget.trials) return `trial budget of ${budget.trials} spent`;
  if (budget.gpuHours !== undefined && spent.gpuSeconds >= budget.gpuHours * 3600) {
    return `GPU-hour budget of ${budget.gpuHours} spent (${round(spent.gpuSeconds / 3600)} h used)`;
  }
  if (budget.dollars !== undefined && spent.dollars >= budget.dollars) return `dollar budget of $${budget.dollars} spent ($${round(spent.dollars)} used)`;
  if (budget.deadline !== undefined && s.now >= Date.parse(budget.deadline)) return `deadline ${budget.deadline} passed`;
  if (plateau?.trials !== undefined && s.trialsSinceKeep >= plateau.trials) return `plateau: no keep in the last ${plateau.trials} finished trials`;
  if (plateau?.hours !== undefined && s.now - s.lastKeepAt >= plateau.hours * HOUR_MS) return `plateau: no keep for ${plateau.hours} hours`;
  return null;
}

/** Milliseconds until a time rule (deadline, plateau hours) fires, so an idle campaign wakes up for it; null when none is set. */
export function msUntilTimeRule(s: Pick<RuleState, 'budget' | 'plateau' | 'now' | 'lastKeepAt'>): number | null {
  const at: number[] = [];
  if (s.budget.deadline !== undefined) at.push(Date.parse(s.budget.deadline));
  if (s.plateau?.hours !== undefined) at.push(s.lastKeepAt + s.plateau.hours * HOUR_MS);
  if (!at.length) return null;
  return Math.max(1, Math.min(...at) - s.now);
}

const isWhole = (x: unknown): x is number => Number.isInteger(x) && (x as number) >= 0;
const isAmount = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x) && x >= 0;
const isIsoTime = (x: unknown): x is string => typeof x === 'string' && /^\d{4}-\d\d-\d\dT/.test(x) && !Number.isNaN(Date.parse(x));

/** The first malformed field of a budget (or part of one), as `field: rule`; null when it is well formed. */
export function budgetFieldError(b: Record<string, unknown>, prefix: string, requireTrials: boolean): string | null {
  const known = ['trials', 'gpuHours', 'dollars', 'deadline'];
  const unknown = Object.keys(b).filter((k) => !known.includes(k));
  if (unknown.length) return `${prefix}${unknown[0]}: unknown field (known: ${known.join(', ')})`;
  if ((requireTrials || b.trials !== undefined) && !isWhole(b.trials)) return `${prefix}trials: a whole number >= 0`;
  if (b.gpuHours !== undefined && !isAmount(b.gpuHours)) return `${prefix}gpuHours: a number >= 0`;
  if (b.dollars !== undefined && !isAmount(b.dollars)) return `${prefix}dollars: a number >= 0`;
  if (b.deadline !== undefined && !isIsoTime(b.deadline)) return `${prefix}deadline: an ISO time such as 2026-01-31T18:00:00Z`;
  return null;
}

/** Why a setBudget change is refused (malformed, or a limit below what is already spent), or null to accept it. */
export function budgetChangeError(change: unknown, spent: Spent, now: number): string | null {
  if (!change || typeof change !== 'object' || Array.isArray(change)) return 'budget change: an object with any of trials, gpuHours, dollars, deadline';
  const c = change as BudgetChange;
  const malformed = budgetFieldError(c as Record<string, unknown>, '', false);
  if (malformed) return malformed;
  if (!Object.keys(c).length) return 'budget change: name at least one of trials, gpuHours, dollars, deadline';
  if (c.trials !== undefined && c.trials < spent.trials) return `trials: ${c.trials} is below the ${spent.trials} trials already started`;
  if (c.gpuHours !== undefined && c.gpuHours * 3600 < spent.gpuSeconds)
    return `gpuHours: ${c.gpuHours} is below the ${round(spent.gpuSeconds / 3600)} GPU-hours already spent`;
  if (c.dollars !== undefined && c.dollars < spent.dollars) return `dollars: ${c.dollars} is below the $${round(spent.dollars)} already spent`;
  if (c.deadline !== undefined && Date.parse(c.deadline) <= now) return `deadline: ${c.deadline} is in the past (now ${new Date(now).toISOString()})`;
  return null;
}

/** The plateau option's first malformed field, or null. */
export function plateauFieldError(p: unknown): string | null {
  if (typeof p !== 'object' || p === null || Array.isArray(p)) return 'plateau: an object with trials and/or hours';
  const q = p as Record<string, unknown>;
  const unknown = Object.keys(q).filter((k) => k !== 'trials' && k !== 'hours');
  if (unknown.length) return `plateau.${unknown[0]}: unknown field (known: trials, hours)`;
  if (q.trials !== undefined && !(Number.isInteger(q.trials) && (q.trials as number) >= 1)) return 'plateau.trials: a whole number >= 1';
  if (q.hours !== undefined && !(typeof q.hours === 'number' && q.hours > 0)) return 'plateau.hours: a number > 0';
  return null;
}
