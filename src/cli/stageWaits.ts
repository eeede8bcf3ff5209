// What an in-flight trial's current stage is waiting for, read from Temporal: the pending
// activity's attempt count, its last failure and the failing-since time its heartbeats carry.
// A retried stage is the same stage of the same trial on its Nth attempt, never a new trial.
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
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

const toIso = (t: { seconds?: unknown; nanos?: number | null } | null | undefined): string | null =>
  t?.seconds != null ? new Date(Number(t.seconds) * 1000 + Math.round((t.nanos ?? 0) / 1e6)).toISOString() : null;

/** The wait of each in-flight trial that has a pending activity, by trial index. */
export async function stageWaits(client: Client, status: CampaignStatus): Promise<Map<number, StageWait>> {
  const waits = new Map<number, StageWait>();
  await Promise.all(
    status.inFlight.map(async (t) => {
      const d = await client.workflow.getHandle(t.trialId).describe().catch(() => null);
      const pending = d?.raw.pendingActivities?.[0];
      if (!pending) return;
      const attempt = pending.attempt ?? 1;
      const failure = pending.lastFailure;
      const message = failure ? [failure.message, failure.cause?.message].filter(Boolean).join(': ') : null;
      let since: string | null = null;
      const beat = pending.heartbeatDetails?.payloads?.[0];
      if (beat) {
        try {
          since = (defaultPayloadConverter.fromPayload(beat) as { failingSince?: string | null }).failingSince ?? null;
        } catch {
          since = null; // a heartbeat of another shape
        }
      }
      const failing = attempt > 1 || Boolean(message);
      waits.set(t.index, {
        activity: pending.activityType?.name ?? t.stage,
        attempt,
        waitingFor: failing && message !== null ? whatItWaitsFor(message, Boolean(failure?.timeoutFailureInfo)) : failing ? 'a worker' : null,
        since: failing ? (since ?? toIso(pending.lastAttemptCompleteTime) ?? toIso(pending.scheduledTime)) : null,
        lastError: message,
      });
    }),
  );
  return waits;
}
