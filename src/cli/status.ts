// `lineage status`: a running campaign answers its status query; a closed one is read from what it
// recorded — the result in its close event — so no worker replays it. Spoken over Temporal's HTTP
// API (the Web UI serves it at /api/v1, so does a server's --http-port) with Node's own fetch: the
// SDK's gRPC stack costs more to load than the whole answer. Without an HTTP endpoint, the SDK.
import type { CampaignResult, CampaignStatus } from '../types.js';
import { temporalAddress, temporalNamespace } from '../config.js';
import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import { stageWaits, type PendingStage, type StageWait, type TrialState } from './stageWaits.js';

interface StatusView {
  status: CampaignStatus;
  /** What each in-flight trial's stage waits for (attempt, outage), by trial index. */
  waits: Map<number, StageWait>;
}

type RawFailure = { message?: string | null; cause?: { message?: string | null } | null; timeoutFailureInfo?: unknown } | null | undefined;
const failureText = (f: RawFailure) => (f ? [f.message, f.cause?.message].filter(Boolean).join(': ') : null);

/** A trial's pending stage from either API's pending activity (the HTTP API's JSON, the SDK's describe). */
function pendingStage(
  p: { activityType?: { name?: string | null } | null; attempt?: number | null; lastFailure?: RawFailure },
  rest: Pick<PendingStage, 'heartbeat' | 'lastAttemptAt' | 'scheduledAt' | 'queued'>,
): PendingStage {
  return {
    activity: p.activityType?.name ?? null,
    attempt: p.attempt ?? 1,
    message: failureText(p.lastFailure),
    isTimeout: Boolean(p.lastFailure?.timeoutFailureInfo),
    ...rest,
  };
}

/** Where Temporal's HTTP API is: TEMPORAL_HTTP_URL, else the Web UI (TEMPORAL_UI_URL, or the local dev server's). */
function httpBase(): string | null {
  const explicit = process.env.TEMPORAL_HTTP_URL ?? process.env.TEMPORAL_UI_URL;
  if (explicit) return explicit.replace(/\/$/, '');
  return temporalAddress() === '127.0.0.1:7233' || temporalAddress() === 'localhost:7233' ? 'http://127.0.0.1:8233' : null;
}

type Payload = { metadata?: Record<string, string>; data?: string } | unknown;

/** A payload as the HTTP API writes it: JSON shorthand, or base64 data with its encoding. */
function decode(p: Payload): unknown {
  if (p && typeof p === 'object' && 'data' in p && 'metadata' in p) {
    const text = Buffer.from(String((p as { data: string }).data), 'base64').toString('utf8');
    return JSON.parse(text);
  }
  return p;
}

class HttpApi {
  /** The Web UI guards writes with a CSRF cookie it sets on any read; a server's HTTP port ignores it. */
  private csrf: string | null = null;

  constructor(
    private readonly base: string,
    private readonly ns: string,
  ) {}

  async call<T>(path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (body !== undefined && this.csrf) Object.assign(headers, { cookie: `_csrf=${this.csrf}`, 'x-csrf-token': this.csrf });
    const r = await fetch(`${this.base}/api/v1/namespaces/${encodeURIComponent(this.ns)}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    this.csrf = /(?:^|[;,]\s*)_csrf=([^;,\s]+)/.exec(r.headers.get('set-cookie') ?? '')?.[1] ?? this.csrf;
    const json = (await r.json()) as T & { message?: string };
    if (!r.ok) throw new Error(json.message ?? `HTTP ${r.status}`);
    return json;
  }
}

type HttpPending = {
  activityType?: { name?: string };
  state?: string;
  attempt?: number;
  lastFailure?: RawFailure;
  heartbeatDetails?: { payloads?: Payload[] };
  lastAttemptCompleteTime?: string;
  scheduledTime?: string;
};

async function viaHttp(api: HttpApi, id: string): Promise<StatusView> {
  const w = `/workflows/${encodeURIComponent(id)}`;
  const d = await api.call<{ workflowExecutionInfo: { status: string } }>(w);
  const state = d.workflowExecutionInfo.status.replace('WORKFLOW_EXECUTION_STATUS_', '');
  if (state === 'RUNNING') {
    const q = await api.call<{ queryResult: { payloads: Payload[] } }>(`${w}/query/status`, { query: { queryType: 'status' } });
    const status = decode(q.queryResult.payloads[0]) as CampaignStatus;
    const waits = await stageWaits(status, async (trialId): Promise<TrialState> => {
      const t = await api.call<{ pendingActivities?: HttpPending[]; workflowExecutionInfo?: { memo?: { fields?: Record<string, Payload> } } }>(
        `/workflows/${encodeURIComponent(trialId)}`,
      );
      const memo = t.workflowExecutionInfo?.memo?.fields?.stage;
      const stage = memo === undefined ? null : (decode(memo) as TrialState['stage']);
      const p = t.pendingActivities?.[0];
      if (!p) return { stage, pending: null };
      const beat = p.heartbeatDetails?.payloads?.[0];
      const queued = p.state === 'PENDING_ACTIVITY_STATE_SCHEDULED';
      return {
        stage,
        pending: pendingStage(p, {
          heartbeat: beat === undefined ? null : decode(beat),
          lastAttemptAt: p.lastAttemptCompleteTime ?? null,
          scheduledAt: p.scheduledTime ?? null,
          queued,
        }),
      };
    });
    return { status, waits };
  }
  const status = state;
  if (status !== 'COMPLETED') throw new Error(`campaign ${id} ended ${status.toLowerCase()}: see its history (lineage replay ${id}, or the Temporal UI)`);
  // The latest run is the one that completed (earlier runs continued as new).
  const h = await api.call<{ history: { events: { workflowExecutionCompletedEventAttributes?: { result?: { payloads: Payload[] } } }[] } }>(
    `${w}/history?historyEventFilterType=HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT`,
  );
  const result = h.history.events.at(-1)?.workflowExecutionCompletedEventAttributes?.result?.payloads[0];
  return { status: (decode(result) as CampaignResult).status, waits: new Map() };
}

const toIso = (t: { seconds?: unknown; nanos?: number | null } | null | undefined): string | null =>
  t?.seconds != null ? new Date(Number(t.seconds) * 1000 + Math.round((t.nanos ?? 0) / 1e6)).toISOString() : null;

/** A trial's stage (its memo) and pending activity, as the SDK describes it. */
async function trialState(d: WorkflowExecutionDescription): Promise<TrialState> {
  const { defaultPayloadConverter } = await import('@temporalio/common');
  const { temporal } = (await import('@temporalio/proto')).default;
  const stage = (d.memo?.stage as TrialState['stage'] | undefined) ?? null;
  const p = d.raw.pendingActivities?.[0];
  if (!p) return { stage, pending: null };
  const beat = p.heartbeatDetails?.payloads?.[0];
  let heartbeat: unknown = null;
  try {
    heartbeat = beat ? defaultPayloadConverter.fromPayload(beat) : null;
  } catch {
    heartbeat = null; // a heartbeat of another shape
  }
  const queued = p.state === temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED;
  return { stage, pending: pendingStage(p, { heartbeat, lastAttemptAt: toIso(p.lastAttemptCompleteTime), scheduledAt: toIso(p.scheduledTime), queued }) };
}

/** A running campaign's status with each in-flight trial's stage read from the trial (for SDK callers: tests, benches). */
export async function liveStatus(client: Client, campaignId: string): Promise<StatusView> {
  const status = await client.workflow.getHandle(campaignId).query<CampaignStatus>('status');
  const waits = await stageWaits(status, async (trialId) => trialState(await client.workflow.getHandle(trialId).describe()));
  return { status, waits };
}

async function viaSdk(id: string): Promise<StatusView> {
  const { temporalClient } = await import('./client.js');
  const client = await temporalClient();
  try {
    const handle = client.workflow.getHandle(id);
    const d = await handle.describe();
    if (d.status.name === 'RUNNING') return await liveStatus(client, id);
    if (d.status.name !== 'COMPLETED')
      throw new Error(`campaign ${id} ended ${d.status.name.toLowerCase()}: see its history (lineage replay ${id}, or the Temporal UI)`);
    return { status: ((await handle.result()) as CampaignResult).status, waits: new Map() };
  } finally {
    await client.connection.close();
  }
}

export async function campaignStatus(campaignId: string): Promise<StatusView> {
  const base = httpBase();
  if (base) {
    try {
      return await viaHttp(new HttpApi(base, temporalNamespace()), campaignId);
    } catch (err) {
      // No HTTP endpoint there (connection refused): the SDK speaks gRPC to TEMPORAL_ADDRESS.
      if (!(err instanceof TypeError)) throw err;
    }
  }
  return viaSdk(campaignId);
}
