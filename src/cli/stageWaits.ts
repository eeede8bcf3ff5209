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
  /** The activity is scheduled but no worker has started it (it waits in its task queue). */
  queued?: boolean;
}

/** A train that no slot has taken yet, in the queue or in a worker's slot pool: the trial is ready, waiting for a slot. */
function waitsForSlot(p: PendingStage): boolean {
  return p.activity === 'train' && (Boolean(p.queued) || (p.heartbeat as { detail?: string } | null)?.detail === 'waiting for a free slot');
}

/** What one in-flight trial's stage waits for, from its pending activity. */
function waitOf(stage: string, p: PendingStage): StageWait {
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

/** An in-flight trial as Temporal describes it: the stage in its memo, its pending activity. */
export interface TrialState {
  stage: { name: string; since: string } | null;
  pending: PendingStage | null;
}

/**
 * Fills each in-flight trial's stage from the trial itself (the campaign only knows it started)
 * and returns what each stage waits for, by trial index.
 */
export async function stageWaits(status: CampaignStatus, describeTrial: (trialId: string) => Promise<TrialState>): Promise<Map<number, StageWait>> {
  const waits = new Map<number, StageWait>();
  await Promise.all(
    status.inFlight.map(async (t) => {
      const d = await describeTrial(t.trialId).catch(() => null);
      if (d?.stage) Object.assign(t, { stage: d.stage.name, since: d.stage.since });
      if (d?.pending && waitsForSlot(d.pending) && d.pending.attempt === 1) t.stage = 'ready';
      if (d?.pending) waits.set(t.index, waitOf(t.stage, d.pending));
    }),
  );
  return waits;
}
