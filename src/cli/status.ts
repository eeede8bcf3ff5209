// `lineage status`: a running campaign answers its status query; a closed one is read from what it
// recorded — the result in its close event — so no worker replays it. Spoken over Temporal's HTTP
// API (the Web UI serves it at /api/v1, so does a server's --http-port) with Node's own fetch: the
// SDK's gRPC stack costs more to load than the whole answer. Without an HTTP endpoint, the SDK.
import type { CampaignResult, CampaignStatus } from '../types.js';
import { temporalAddress, temporalNamespace } from '../config.js';

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
  constructor(
    private readonly base: string,
    private readonly ns: string,
  ) {}

  async call<T>(path: string, body?: unknown): Promise<T> {
    const r = await fetch(`${this.base}/api/v1/namespaces/${encodeURIComponent(this.ns)}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await r.json()) as T & { message?: string };
    if (!r.ok) throw new Error(json.message ?? `HTTP ${r.status}`);
    return json;
  }
}

async function viaHttp(api: HttpApi, id: string): Promise<CampaignStatus> {
  const w = `/workflows/${encodeURIComponent(id)}`;
  const d = await api.call<{ workflowExecutionInfo: { status: string } }>(w);
  const status = d.workflowExecutionInfo.status.replace('WORKFLOW_EXECUTION_STATUS_', '');
  if (status === 'RUNNING') {
    const q = await api.call<{ queryResult: { payloads: Payload[] } }>(`${w}/query/status`, { query: { queryType: 'status' } });
    return decode(q.queryResult.payloads[0]) as CampaignStatus;
  }
  if (status !== 'COMPLETED') throw new Error(`campaign ${id} ended ${status.toLowerCase()}: see its history (lineage replay ${id}, or the Temporal UI)`);
  // The latest run is the one that completed (earlier runs continued as new).
  const h = await api.call<{ history: { events: { workflowExecutionCompletedEventAttributes?: { result?: { payloads: Payload[] } } }[] } }>(
    `${w}/history?historyEventFilterType=HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT`,
  );
  const result = h.history.events.at(-1)?.workflowExecutionCompletedEventAttributes?.result?.payloads[0];
  return (decode(result) as CampaignResult).status;
}

async function viaSdk(id: string): Promise<CampaignStatus> {
  const { temporalClient } = await import('./client.js');
  const client = await temporalClient();
  try {
    const handle = client.workflow.getHandle(id);
    const d = await handle.describe();
    if (d.status.name === 'RUNNING') return await handle.query<CampaignStatus>('status');
    if (d.status.name !== 'COMPLETED') throw new Error(`campaign ${id} ended ${d.status.name.toLowerCase()}: see its history (lineage replay ${id}, or the Temporal UI)`);
    return ((await handle.result()) as CampaignResult).status;
  } finally {
    await client.connection.close();
  }
}

export async function campaignStatus(campaignId: string): Promise<CampaignStatus> {
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
