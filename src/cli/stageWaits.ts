// What an in-flight trial's current stage is waiting for, read from Temporal: the pending
// activity's attempt count, its last failure and the failing-since time its heartbeats carry.
// A retried stage is the same stage of the same trial on its Nth attempt, never a new trial.
import type { CampaignStatus } from '../types.js';
import { mongoUri } from '../config.js';

export interface StageWait {
  activity: string;
  attempt: number;
  /** What the stage waits for (MongoDB, git, a worker, disk space), or null while it is not failing. */
  waitingFor: string | null;
  /** ISO time it has been failing since. */
  since: string | null;
  lastError: string | null;
}

/** Names the infrastructure behind an activity failure. */
export function whatItWaitsFor(message: string, isTimeout: boolean, mongo = mongoUri()): string {
  const mongoPort = /:(\d+)\/?/.exec(mongo)?.[1];
  if (/mongo|server selection/i.test(message) || (mongoPort && new RegExp(`ECONNREFUSED [^ ]*:${mongoPort}\\b`).test(message))) return 'MongoDB';
  if (/disk full|ENOSPC|No space left/i.test(message)) return 'disk space';
  if (/\bgit\b/i.test(message)) return 'git';
  if (isTimeout || /timeout|timed out|worker/i.test(message)) return 'a worker';
  return 'a retry';
}

/** A pending activity as either of Temporal's APIs describes it, reduced to what a wait needs. */
export interface PendingStage {
  activity: string | null;
  attempt: number;
  message: string | null;
  isTimeout: boolean;
  /** The latest heartbeat's details, decoded. */
  heartbeat: unknown;
  lastAttemptAt: string | null;
  scheduledAt: string | null;
}

/** What one in-flight trial's stage waits for, from its pending activity. */
export function waitOf(stage: string, p: PendingStage): StageWait {
  const failing = p.attempt > 1 || Boolean(p.message);
  const since = (p.heartbeat as { failingSince?: string | null } | null)?.failingSince ?? null;
  return {
    activity: p.activity ?? stage,
    attempt: p.attempt,
    waitingFor: failing && p.message !== null ? whatItWaitsFor(p.message, p.isTimeout) : failing ? 'a worker' : null,
    since: failing ? (since ?? p.lastAttemptAt ?? p.scheduledAt) : null,
    lastError: p.message,
  };
}

/** The wait of each in-flight trial that has a pending activity, by trial index. */
export async function stageWaits(status: CampaignStatus, pendingOf: (trialId: string) => Promise<PendingStage | null>): Promise<Map<number, StageWait>> {
  const waits = new Map<number, StageWait>();
  await Promise.all(
    status.inFlight.map(async (t) => {
      const p = await pendingOf(t.trialId).catch(() => null);
      if (p) waits.set(t.index, waitOf(t.stage, p));
    }),
  );
  return waits;
}
