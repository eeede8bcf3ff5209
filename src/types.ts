// Shapes that cross workflow/activity boundaries. Type-only: safe to import from workflow code.
import type { SandboxReport } from './runner/sandbox.js';
import type { Direction } from './metric.js';

export const LABELS = [
  'keep',
  'discard',
  'crash',
  'preflight_crash',
  'train_budget_overrun',
  'eval_budget_overrun',
  'size_blocked',
  'gate_miss',
  'illegal_edit',
  'apply_failed',
  'proposal_invalid',
  'diverged',
  'infra_error',
  'suspect',
] as const;
export type Label = (typeof LABELS)[number];

/** An exact search/replace on one file of the recipe; search '' with a new file creates it. */
export interface Edit {
  file: string;
  search: string;
  replace: string;
}

/** What the offline proposer changed, so later proposals can learn from it. */
export interface KnobMove {
  name: string;
  from: string;
  to: string;
  direction: 1 | -1;
}

export interface Proposal {
  specialist: string;
  hypothesis: string;
  expectedDelta?: number;
  rationale?: string;
  edits: Edit[];
  knob?: KnobMove;
  /** A port of another trial's diff onto the current best: that trial is the second parent. */
  portedFrom?: { index: number; sha: string };
  /** Who wrote it: the proposer kind and the campaign arm (e.g. claude+optuna-tpe for the hybrid). */
  origin?: ProposalOrigin;
  /** The task's declared knobs in the recipe this proposal produces, as written: the optimizer's history. */
  knobValues?: Record<string, string>;
  /** Earlier choices refused because their recipe duplicated a trained or in-flight trial. */
  duplicatesRefused?: number;
}

export interface ProposalOrigin {
  proposer: ProposerConfig['kind'];
  arm: string;
}

export type OptunaSampler = 'tpe' | 'cmaes';

/** A real optimizer over the task's declared knobs, its study rebuilt from the campaign's trials. */
export interface OptunaProposerConfig {
  kind: 'optuna';
  /** TPE (default) or CMA-ES. */
  sampler?: OptunaSampler;
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  /** Prompt-cache tokens (written at 1.25x, read at 0.1x the input price). */
  cacheWriteTokens?: number;
  cacheReadTokens?: number;
  /** Messages API calls, retries included. */
  calls?: number;
  dollars: number;
}

/**
 * One model's settings; `price` (dollars per million tokens) is needed for models the built-in
 * table lacks. `effort` is the Messages API's output_config.effort: the SDK in use (1.14) no longer
 * takes `temperature`, so effort is the sampling setting a specialist can have.
 */
export interface ModelSettings {
  model: string;
  maxTokens: number;
  effort?: 'low' | 'medium' | 'high' | 'xhigh' | 'max';
  price?: { input: number; output: number };
}

export interface ClaudeProposerConfig {
  kind: 'claude';
  /** Settings for every specialist, and overrides by specialist name. */
  model?: Partial<ModelSettings>;
  models?: Record<string, Partial<ModelSettings>>;
  /** The paper's lineage-off control arm: proposals see no lineage (default true). */
  lineage?: boolean;
  /** The meta analyst refreshes the campaign's key-insights note every this many finished trials (0: never). */
  metaEvery?: number;
  /** The hybrid arm: the lineage view carries this optimizer's suggestion, to take, refine or ignore. */
  optimizer?: OptunaProposerConfig;
}

export type ProposerConfig =
  | { kind: 'offline' }
  | OptunaProposerConfig
  /** Replays a fixed list of proposals, one per trial in order (then falls back to offline). */
  /** Scripted proposals, one per trial index; `onConflict` scripts the proposals again after conflicting rebases. */
  | { kind: 'replay'; proposals: (Omit<Proposal, 'knob'> & { onConflict?: Omit<Proposal, 'knob'>[] })[] }
  | ClaudeProposerConfig;

/**
 * Who proposes: the task's specialists (default), one generalist owning every surface, or N
 * generic agents that each own every surface and get no domain preamble (the paper's control arms).
 */
export type Roster = { kind: 'specialists' } | { kind: 'generalist' } | { kind: 'generic'; agents: number };

/** Limits on one campaign; the campaign starts no trial once one is reached. */
export interface Budget {
  /** Trials after the baseline. */
  trials: number;
  /** Train + evaluate wall time of finished trials, in hours. */
  gpuHours?: number;
  /** Proposer (LLM) dollars of finished trials: no proposal is made once they are spent. */
  dollars?: number;
  /** ISO time after which no trial starts. */
  deadline?: string;
}

/** Any subset of the budget, for the setBudget update. */
export type BudgetChange = Partial<Budget>;

/** The paper's plateau stop: no keep within this many finished trials, or this many hours. */
export interface Plateau {
  trials?: number;
  hours?: number;
}

export type SpecialistChoice = 'round_robin' | 'bandit';

/** What a campaign has used so far (finished trials, except `trials`, which counts started ones). */
export interface Spent {
  /** Trials started after the baseline. */
  trials: number;
  gpuSeconds: number;
  dollars: number;
}

/** One finished trial as the bandit remembers it. */
export interface SpecialistReward {
  specialist: string;
  reward: number;
}

/** State a campaign hands to its next run when it continues as new. */
export interface CampaignCarry {
  setup: CampaignSetup;
  run: number;
  /** The next trial's index (= trials started, baseline included). */
  nextIndex: number;
  finished: number;
  baseline: number | null;
  best: { index: number; score: number; sha: string } | null;
  counts: Partial<Record<Label, number>>;
  spent: Spent;
  /** Workflow time (ISO) of the last keep, or of the baseline when nothing was kept yet. */
  lastKeepAt: string;
  trialsSinceKeep: number;
  paused: boolean;
  /** ISO time the campaign's first run started. */
  startedAt: string;
  /** The bandit's sliding window of recent rewards, oldest first. */
  bandit: SpecialistReward[];
  /** Trial indices that ended infra_error and wait to run again (absent in runs carried before reruns existed). */
  rerun?: { index: number; specialist: string }[];
  /** How many times each index has been run again after an infra_error. */
  reruns?: Record<string, number>;
}

export interface CampaignInput {
  campaignId: string;
  task: string;
  preset?: string;
  budget: Budget;
  plateau?: Plateau;
  /** Trials in flight, exactly (the old scheduling). Absent: slots × (1 + lookahead). */
  parallelism?: number;
  /** Train slots the campaign fills: with lookahead, how many trials it keeps in flight. */
  slots?: number;
  /** Proposals kept ready per slot, so a freed slot trains at once (default 1). */
  lookahead?: number;
  /** A ready trial whose parent is no longer the best when its slot frees is carried onto the best (default true). */
  rebase?: boolean;
  proposer: ProposerConfig;
  seed?: number;
  specialists?: string[];
  roster?: Roster;
  /** How each slot picks its specialist: round_robin (default) or bandit. */
  specialistChoice?: SpecialistChoice;
  /** Trials per workflow run before the campaign continues as new (history stays bounded). */
  trialsPerRun?: number;
  /** How long a stage waits out an unreachable MongoDB, git, worker or full disk before its trial ends infra_error (default 30). */
  outageLimitMinutes?: number;
  /** Set by the campaign itself when it continues as new; never by a user. */
  carried?: CampaignCarry;
}

export interface CampaignSetup {
  baselineSha: string;
  evaluatorHash: string;
  specialists: string[];
  direction: Direction;
  limits: StageLimits;
}

/** Budget plus grace of the slot stages, in seconds: the workflow sizes activity timeouts from it. */
export interface StageLimits {
  trainS: number;
  evalS: number;
  /** Train and evaluate this many times; the judge takes the median (timing metrics are noisy). */
  repeats: number;
  /** A would-be keep trains and evaluates this many more times, with the seeds after its own, before it becomes the best. */
  confirm?: number;
}

export interface TrialInput {
  campaignId: string;
  task: string;
  preset: string;
  index: number;
  /** "baseline" for trial 0, which trains the unedited recipe. */
  specialist: string;
  parentSha: string;
  evaluatorHash: string;
  limits: StageLimits;
  proposer: ProposerConfig;
  roster?: Roster;
  /** The campaign's dollar budget when the trial started: no model call once the campaign has spent it. */
  dollarCap?: number | null;
  seed: number;
  /** ISO time the campaign started this trial; also the commit date, so a retried apply gives the same sha. */
  startedAt: string;
  /** Seconds a stage keeps retrying through an outage before the trial ends infra_error (absent: 30 min). */
  outageLimitS?: number;
  /** Carry the trial onto the best when its parent is stale at dispatch (absent: true). */
  rebase?: boolean;
  /** How many times this trial has been proposed again after its change conflicted with a moved best (absent: 0). */
  reproposal?: number;
}

/** A stage that ended the trial: its label and the reason, in one word for every stage. */
export interface StageFailure {
  ok: false;
  label: Label;
  reason: string;
}

/** A proposal, or why there is none; the model calls were spent either way. */
export type ProposeResult = ({ ok: true; proposal: Proposal } | { ok: false; reason: string }) & { usage: Usage };

/** The trial's commit on its parent, or why the proposal cannot become one. */
export type ApplyResult = { ok: true; sha: string; diff: string; changedFiles: string[] } | StageFailure;

/** A rebased trial's new commit, or why its change cannot be carried onto the new best. */
export type RebaseResult = { ok: true; sha: string; diff: string; changedFiles: string[]; knobValues?: Record<string, string> } | { ok: false; reason: string };

/** A rebased commit claimed for its trial, or why it cannot be (its recipe duplicates another trial's). */
export type AdoptResult = { ok: true } | { ok: false; reason: string };

/** The campaign's best as MongoDB held it when a slot took a trial's train (what the judge reads too). */
export interface BestRef {
  sha: string;
  index: number;
}

/** What a slot answers instead of training: the trial's parent is no longer the best. */
export interface StaleParent {
  stale: BestRef;
}

/** One move of a ready trial onto a newer best before it trained. */
export interface TrialRebase {
  from: string;
  onto: string;
  ontoIndex: number;
  /** merged: its change carried over three-way; reproposed: it conflicted, so the proposer wrote a new one on the best. */
  how: 'merged' | 'reproposed';
  reason?: string;
  /** Merged while the trial still waited for a slot, after the new best told it (bestMoved). */
  prepared?: boolean;
}

/** The commit may train (with its projected artifact size where the task projects one), or why not. */
export type PreflightResult = { ok: true; projectedBytes?: number } | (StageFailure & { projectedBytes?: number });

export interface RunOutcome {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  overBudget: boolean;
  memoryExceeded: boolean;
  wallS: number;
  logTail: string;
}

/** The slot's own clock for one run: which attempt of the activity ran it, and how long it waited for the slot. */
export interface SlotClock {
  attempt?: number;
  /** Seconds from the attempt being scheduled to the slot starting it (Temporal queue + slot pool). */
  queuedS?: number;
  /** Epoch ms the slot was taken and given back for this run: the slot's busy time and gaps. */
  slotStartMs?: number;
  slotEndMs?: number;
}

export interface TrainResult extends RunOutcome, SlotClock {
  slotQueue: string;
  host: string;
  slot: string;
  attempt: number;
  /** What confined the run: bwrap or the explicit unsafe mode, the trial user, the cgroups. */
  sandbox?: SandboxReport;
  /** Trusted scoring: the declared outputs the harness copied out of the run (the rest was deleted with the checkout). */
  outputs?: { files: string[]; bytes: number; refused: string[] };
  /** train.seeds > 1: each seed's own timed run (wallS above is their sum). */
  seeds?: { seed: number; wallS: number; exitCode: number | null }[];
  /** The campaign's best when the slot took this train; null before the baseline is recorded. */
  bestAtStart?: BestRef | null;
}

export interface EvalReport {
  metric: number | null;
  metrics: Record<string, number | null>;
  label: Label | null;
  reason: string;
}

export interface EvaluateResult extends RunOutcome, SlotClock {
  report: EvalReport | null;
  parseError?: string;
  /** trusted: a scorer that never ran trial code reported on its own descriptor; self-reported: the last JSON line of a process that did. */
  scoring?: 'trusted' | 'self-reported';
  /** Trusted scoring: every byte the model runner could read (the checkout and the train outputs), counted by the harness. */
  readableBytes?: number;
}

export interface Verdict {
  label: Label;
  score: number | null;
  keep: boolean;
  reason: string;
  rule: string;
  bestBefore: number | null;
  /** Over repeats: how many, and the sample standard deviation of the metric. */
  repeats: number;
  spread: number | null;
  /** The score of each run (repeats, then confirm runs on the seeds after the trial's own), when all were legal. */
  runScores?: number[];
}

export interface StageTiming {
  stage: string;
  startedAt: string;
  /** Train and evaluate: the run's wall time on the slot's clock. Other stages: the workflow's time in the stage. */
  seconds: number;
  /** Train and evaluate: the attempt of the activity that produced the result (> 1 after a retry). */
  attempt?: number;
  /** Train and evaluate: seconds waited for a slot before the run started, outside `seconds`. */
  queuedS?: number;
  /** Train and evaluate: epoch ms the slot was taken and given back (the slot's busy time and gaps). */
  slotStartMs?: number;
  slotEndMs?: number;
}

export interface TrialRecord {
  trialId: string;
  campaignId: string;
  task: string;
  index: number;
  specialist: string;
  parentSha: string;
  /** A port's second parent (the trial whose diff was carried over), else null. */
  secondParentSha?: string | null;
  sha: string | null;
  hypothesis: string;
  proposal: Proposal | null;
  diff: string | null;
  label: Label;
  score: number | null;
  keep: boolean;
  reason: string;
  rule: string | null;
  /** Standard deviation of the metric over repeated runs (null for one run). */
  spread: number | null;
  /** Each run's score: repeats, then confirm runs. */
  runScores?: number[];
  /** How the score was obtained: trusted (a scorer that never ran trial code) or self-reported. */
  scoring?: 'trusted' | 'self-reported' | null;
  metrics: Record<string, number | null>;
  stages: StageTiming[];
  usage: Usage;
  /** The best the trial was first proposed on; parentSha is the one it trained on (they differ after a rebase). */
  proposedOnSha?: string;
  rebases?: TrialRebase[];
  train: TrainResult | null;
  logExcerpt: string;
  startedAt: string;
  finishedAt: string;
}

export interface InFlightTrial {
  index: number;
  specialist: string;
  trialId: string;
  /** The trial's current stage: starting, propose, apply, preflight, train, evaluate, judge, record. */
  stage: string;
  /** ISO workflow time the stage began. */
  since: string;
}

export interface CampaignStatus {
  campaignId: string;
  task: string;
  state: 'setting_up' | 'running' | 'paused' | 'stopping' | 'finished';
  budget: Budget;
  plateau: Plateau | null;
  /** Trials in flight: the explicit parallelism, else slots × (1 + lookahead). */
  parallelism: number;
  slots: number | null;
  lookahead: number;
  specialistChoice: SpecialistChoice;
  /** Trials started, baseline included. */
  started: number;
  finished: number;
  inFlight: InFlightTrial[];
  baseline: number | null;
  best: { index: number; score: number; sha: string } | null;
  counts: Partial<Record<Label, number>>;
  used: { trials: number; gpuHours: number; dollars: number; hours: number };
  /** null where the budget sets no limit. */
  left: { trials: number; gpuHours: number | null; dollars: number | null; deadlineInS: number | null };
  trialsSinceKeep: number;
  lastKeepAt: string;
  /** 1 for the first workflow run; +1 on each continue-as-new. */
  run: number;
  nextIndex: number;
  /** Why the campaign stops (or stopped) starting trials; null while it runs. */
  stoppedBy: string | null;
  /** Trials run again because an earlier run of their index ended infra_error (optional: older runs lack it). */
  rerunAfterInfraError?: number;
  /** How long a stage waits out an outage before its trial ends infra_error. */
  outageLimitMinutes?: number;
}

export interface CampaignResult {
  status: CampaignStatus;
  /** Outcomes finished in the final workflow run (every trial unless the campaign continued as new; MongoDB has all). */
  trials: TrialOutcome[];
  note: string;
}

export interface TrialOutcome {
  trialId: string;
  index: number;
  specialist: string;
  label: Label;
  score: number | null;
  keep: boolean;
  sha: string | null;
  hypothesis: string;
  /** Seconds of the train and evaluate stages (the GPU-hour budget counts these). */
  gpuSeconds: number;
  /** Proposer dollars (usage.dollars). */
  dollars: number;
}

/** A trial tells its campaign each time it enters a stage, for the status query. */
export interface TrialStage {
  index: number;
  stage: string;
}
