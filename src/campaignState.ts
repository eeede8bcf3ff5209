// A campaign's state and its rules, apart from Temporal: what a finished trial changes (settle),
// what starts next (nextTrial, launched), when it stops, what status shows and what a fresh run
// carries. The campaign workflow holds one and adds only handlers, child starts and waiting.
// Pure: runs in the workflow sandbox (Date.now() there is workflow time) and in unit tests.
import type { Budget, CampaignCarry, CampaignInput, CampaignSetup, CampaignStatus, InFlightTrial, Plateau, SpecialistChoice, TrialOutcome } from './types.js';
import { msUntilTimeRule, stopReason, type RuleState } from './campaignRules.js';
import { chooseByBandit, remember, roundRobin, trialReward } from './specialistChoice.js';
import { isBetter } from './metric.js';
import { isBaseline } from './ids.js';

/** Trials per workflow run before continue-as-new (sooner when the server suggests it). */
const DEFAULT_TRIALS_PER_RUN = 200;

/** An index whose trial ended infra_error runs again at most this many times; after that its infra_error stands and counts. */
export const MAX_RERUNS = 3;

/** Proposals kept ready per slot when the input names none. */
const DEFAULT_LOOKAHEAD = 1;

/** How long a stage waits out an outage before its trial ends infra_error, when the input names none. */
export const DEFAULT_OUTAGE_LIMIT_S = 30 * 60;

/** Trials in flight: the explicit parallelism (the old scheduling), else one training and `lookahead` ready per slot. */
function inFlightCap(input: Pick<CampaignInput, 'parallelism' | 'slots' | 'lookahead'>): number {
  return input.parallelism ?? input.slots! * (1 + (input.lookahead ?? DEFAULT_LOOKAHEAD));
}

type Carried = Omit<CampaignCarry, 'setup' | 'paused'>;

export class CampaignState {
  budget: Budget;
  parallelism: number;
  paused: boolean;
  /** A stop signal arrived: in-flight trials finish, nothing new starts. */
  stopping = false;
  setUp: boolean;
  finished = false;
  stoppedBy: string | null = null;
  /** Bumped by a budget change, so an idle campaign re-arms its deadline timer. */
  budgetVersion = 0;
  /** Trials started in this workflow run (for continue-as-new). */
  launchedThisRun = 0;
  readonly inFlight: InFlightTrial[] = [];
  /** Outcomes settled in this workflow run. */
  readonly outcomes: TrialOutcome[] = [];
  readonly c: Carried;
  readonly rerun: { index: number; specialist: string }[];
  readonly reruns: Record<string, number>;
  readonly plateau: Plateau | null;
  readonly choice: SpecialistChoice;
  readonly trialsPerRun: number;
  readonly outageS: number;

  constructor(
    readonly input: CampaignInput,
    nowIso: string,
  ) {
    const carried = input.carried;
    this.budget = { ...input.budget };
    this.parallelism = inFlightCap(input);
    this.paused = carried?.paused ?? false;
    this.setUp = Boolean(carried);
    this.c = carried
      ? { ...carried, spent: { ...carried.spent }, counts: { ...carried.counts } }
      : {
          run: 1,
          nextIndex: 0,
          finished: 0,
          baseline: null,
          best: null,
          counts: {},
          spent: { trials: 0, gpuSeconds: 0, dollars: 0 },
          lastKeepAt: nowIso,
          trialsSinceKeep: 0,
          startedAt: nowIso,
          bandit: [],
        };
    this.rerun = [...(carried?.rerun ?? [])];
    this.reruns = { ...(carried?.reruns ?? {}) };
    this.plateau = input.plateau ?? null;
    this.choice = input.specialistChoice ?? 'round_robin';
    this.trialsPerRun = input.trialsPerRun ?? DEFAULT_TRIALS_PER_RUN;
    this.outageS = (input.outageLimitMinutes ?? DEFAULT_OUTAGE_LIMIT_S / 60) * 60;
  }

  rules(now = Date.now()): RuleState {
    const c = this.c;
    return { budget: this.budget, plateau: this.plateau, spent: c.spent, now, lastKeepAt: Date.parse(c.lastKeepAt), trialsSinceKeep: c.trialsSinceKeep };
  }

  /** Why no new trial may start (a stop signal, a spent budget, the deadline, a plateau), or null. */
  stopRule(now = Date.now()): string | null {
    return this.stopping ? 'stopped by signal' : stopReason(this.rules(now));
  }

  /** Milliseconds until a time rule (deadline, plateau hours) fires, or null when none can. */
  msUntilTimeRule(now = Date.now()): number | null {
    return msUntilTimeRule(this.rules(now));
  }

  /** This run has had its share of trials (or the server asks for a fresh history). */
  runFull(continueAsNewSuggested: boolean): boolean {
    return this.launchedThisRun >= this.trialsPerRun || continueAsNewSuggested;
  }

  /** A place for one more trial in flight. */
  slotFree(): boolean {
    return !this.paused && this.inFlight.length < this.parallelism;
  }

  setBudget(change: Partial<Budget>): Budget {
    this.budget = { ...this.budget, ...change };
    this.budgetVersion++;
    return this.budget;
  }

  /** The trial to start in a free place: an index to run again after an infra_error first, else the next index and its specialist. */
  nextTrial(specialists: string[]): { index: number; specialist: string; rerun: boolean } {
    const again = this.rerun.shift();
    if (again) return { ...again, rerun: true };
    const specialist =
      this.choice === 'bandit'
        ? chooseByBandit(
            specialists,
            this.c.bandit,
            this.inFlight.map((t) => t.specialist),
          )
        : roundRobin(specialists, this.c.nextIndex - 1);
    return { index: this.c.nextIndex, specialist, rerun: false };
  }

  /** A trial's child workflow is being started: it is in flight and (but for the baseline) spends a trial of the budget. */
  launched(index: number, specialist: string, trialId: string, nowIso: string): void {
    this.c.nextIndex = Math.max(this.c.nextIndex, index + 1);
    if (!isBaseline({ index })) this.c.spent.trials++;
    this.inFlight.push({ index, specialist, trialId, stage: 'starting', since: nowIso });
  }

  /** A trial ended: spend its slot time and dollars, count its label, move the best, the bandit and the plateau clock. */
  settle(o: TrialOutcome, direction: CampaignSetup['direction'], nowIso: string): void {
    const c = this.c;
    const i = this.inFlight.findIndex((t) => t.index === o.index);
    if (i >= 0) this.inFlight.splice(i, 1);
    // Slot time and model calls were really spent, whatever the outcome.
    c.spent.gpuSeconds += o.gpuSeconds;
    c.spent.dollars += o.dollars;
    // An infra_error is no research outcome: the index gives its trial back to the budget, leaves
    // the plateau count alone and runs again, unless it keeps failing that way.
    if (o.label === 'infra_error' && (this.reruns[o.index] ?? 0) < MAX_RERUNS) {
      this.reruns[o.index] = (this.reruns[o.index] ?? 0) + 1;
      this.rerun.push({ index: o.index, specialist: o.specialist });
      if (!isBaseline(o)) c.spent.trials--;
      return;
    }
    c.finished++;
    c.counts[o.label] = (c.counts[o.label] ?? 0) + 1;
    this.outcomes.push(o);
    const bestBefore = c.best?.score ?? null;
    if (o.keep && o.score !== null && o.sha && (!c.best || isBetter(direction, o.score, c.best.score))) c.best = { index: o.index, score: o.score, sha: o.sha };
    if (isBaseline(o)) c.baseline = o.score;
    else c.bandit = remember(c.bandit, { specialist: o.specialist, reward: trialReward(o.keep, o.score, bestBefore, direction) });
    // The baseline counts as a keep for the plateau rule: its clock starts there.
    if (o.keep || isBaseline(o)) {
      c.trialsSinceKeep = 0;
      c.lastKeepAt = nowIso;
    } else c.trialsSinceKeep++;
  }

  /** What the status query answers. */
  status(now = Date.now()): CampaignStatus {
    const c = this.c;
    const budget = this.budget;
    const gpuHours = c.spent.gpuSeconds / 3600;
    return {
      campaignId: this.input.campaignId,
      task: this.input.task,
      state: this.finished ? 'finished' : this.stopping || this.stoppedBy ? 'stopping' : this.paused ? 'paused' : this.setUp ? 'running' : 'setting_up',
      budget,
      plateau: this.plateau,
      parallelism: this.parallelism,
      slots: this.input.slots ?? null,
      lookahead: this.input.lookahead ?? DEFAULT_LOOKAHEAD,
      specialistChoice: this.choice,
      started: c.nextIndex,
      finished: c.finished,
      inFlight: this.inFlight.map((t) => ({ ...t })),
      baseline: c.baseline,
      best: c.best,
      counts: c.counts,
      used: { trials: c.spent.trials, gpuHours, dollars: c.spent.dollars, hours: (now - Date.parse(c.startedAt)) / 3_600_000 },
      left: {
        trials: Math.max(0, budget.trials - c.spent.trials),
        gpuHours: budget.gpuHours === undefined ? null : Math.max(0, budget.gpuHours - gpuHours),
        dollars: budget.dollars === undefined ? null : Math.max(0, budget.dollars - c.spent.dollars),
        deadlineInS: budget.deadline === undefined ? null : Math.max(0, (Date.parse(budget.deadline) - now) / 1000),
      },
      trialsSinceKeep: c.trialsSinceKeep,
      lastKeepAt: c.lastKeepAt,
      run: c.run,
      nextIndex: c.nextIndex,
      stoppedBy: this.stopping ? 'stopped by signal' : this.stoppedBy,
      rerunAfterInfraError: Object.values(this.reruns).reduce((a, n) => a + n, 0),
      outageLimitMinutes: this.outageS / 60,
    };
  }

  /** The campaign has ended: status says finished, with the reason. */
  finish(note: string): void {
    this.finished = true;
    this.stoppedBy = note;
  }

  /** The next workflow run's input: the same campaign, with this run's state carried. */
  nextRunInput(setup: CampaignSetup): CampaignInput {
    return {
      ...this.input,
      budget: this.budget,
      parallelism: this.parallelism,
      carried: { ...this.c, setup, paused: this.paused, run: this.c.run + 1, rerun: this.rerun, reruns: this.reruns },
    };
  }
}
