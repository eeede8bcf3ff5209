// The campaign's stopping rules and budget checks. Pure and deterministic: the campaign
// workflow calls them with workflow time, and the setBudget update's validator uses them.
import type { Budget, BudgetChange, Plateau, Spent } from './types.js';
import { budgetChangeSchema, budgetSchema, firstProblem, plateauSchema } from './campaignInput.js';

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

/** The first malformed field of a budget (or, without trials required, a budget change), as `field: rule`; null when it is well formed. */
export function budgetFieldError(b: unknown, prefix: string, requireTrials: boolean): string | null {
  return firstProblem(requireTrials ? budgetSchema : budgetChangeSchema, b, prefix.replace(/\.$/, ''));
}

/** Why a setBudget change is refused (malformed, or a limit below what is already spent), or null to accept it. */
export function budgetChangeError(change: unknown, spent: Spent, now: number): string | null {
  if (!change || typeof change !== 'object' || Array.isArray(change)) return 'budget change: an object with any of trials, gpuHours, dollars, deadline';
  const malformed = budgetFieldError(change, '', false);
  if (malformed) return malformed;
  const c = change as BudgetChange;
  if (!Object.keys(c).length) return 'budget change: name at least one of trials, gpuHours, dollars, deadline';
  if (c.trials !== undefined && c.trials < spent.trials) return `trials: ${c.trials} is below the ${spent.trials} trials already started`;
  if (c.gpuHours !== undefined && c.gpuHours * 3600 < spent.gpuSeconds)
    return `gpuHours: ${c.gpuHours} is below the ${round(spent.gpuSeconds / 3600)} GPU-hours already spent`;
  if (c.dollars !== undefined && c.dollars < spent.dollars) return `dollars: ${c.dollars} is below the $${round(spent.dollars)} already spent`;
  if (c.deadline !== undefined && Date.parse(c.deadline) <= now) return `deadline: ${c.deadline} is in the past (now ${new Date(now).toISOString()})`;
  return null;
}

/** The plateau option's first malformed field, or null. */
export const plateauFieldError = (p: unknown) => firstProblem(plateauSchema, p, 'plateau');
