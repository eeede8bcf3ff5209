// Heartbeats carry what a stage is doing and since when it has been failing, so `lineage status`
// and the Temporal UI show a retried stage as one stage on its Nth attempt, waiting for something.
import { Context } from '@temporalio/activity';
import { nonRetryable } from './failures.js';

interface StageBeat {
  /** ISO time the stage's first failed attempt ended; null while no attempt has failed. */
  failingSince: string | null;
  detail: string;
}

/** Null on a first attempt; else carried from the previous attempt's heartbeat (or its failure, about one backoff before this attempt). */
function failingSince(ctx: Context): string | null {
  if (ctx.info.attempt <= 1) return null;
  const previous = ctx.info.heartbeatDetails as Partial<StageBeat> | undefined;
  return previous?.failingSince ?? new Date(ctx.info.currentAttemptScheduledTimestampMs - 1000).toISOString();
}

/** A heartbeat function for the current activity: each beat says what it does and keeps the failing-since time. */
export function stageHeartbeat(ctx = Context.current()): (detail: string) => void {
  const since = failingSince(ctx);
  return (detail) => ctx.heartbeat({ failingSince: since, detail } satisfies StageBeat);
}

const BEAT_MS = 5_000;

/** Runs one control activity with a heartbeat every few seconds: a killed control worker is noticed within the heartbeat timeout, not the stage's timeout. */
async function heartbeating<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const beat = stageHeartbeat();
  beat(name);
  const timer = setInterval(() => beat(name), BEAT_MS);
  try {
    return await fn();
  } finally {
    clearInterval(timer);
  }
}

// `any` parameters: each activity has its own; the wrapper only forwards them.
type Activities = Record<string, (...args: any[]) => Promise<unknown>>;

/** The same activities, each heartbeating while it runs, failing at once on an error no retry can fix. */
export function withHeartbeats<T extends Activities>(activities: T): T {
  return Object.fromEntries(
    Object.entries(activities).map(([name, fn]) => [name, (...args: unknown[]) => heartbeating(name, () => nonRetryable(() => fn(...args)))]),
  ) as T;
}
