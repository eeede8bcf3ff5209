// A local HTTP server speaking the Anthropic Messages API (POST /v1/messages), the one stand-in the
// tests allow: the real SDK client talks to it over the network. A "brain" decides each reply;
// usage fields, prompt caching (a repeated cached prefix is read, not written) and 429/529 errors
// behave as the API documents them.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

interface ToolUse {
  name: string;
  input: unknown;
}
/** One assistant turn: tool calls and/or text. */
export interface Turn {
  toolUses?: ToolUse[];
  text?: string;
}
export interface MessagesRequest {
  model: string;
  max_tokens: number;
  system?: { type: 'text'; text: string; cache_control?: unknown }[] | string;
  messages: { role: 'user' | 'assistant'; content: unknown }[];
  tools?: { name: string }[];
  tool_choice?: { type: string; name?: string };
  output_config?: { effort?: string };
  [k: string]: unknown;
}
export type Brain = (req: MessagesRequest) => Turn;

export interface FakeAnthropic {
  url: string;
  /** Every well-formed request, in order (requests answered with an injected error included). */
  requests: MessagesRequest[];
  /** Statuses (429, 529, 500) to answer the next requests with, before normal replies resume. */
  failNext(...statuses: number[]): void;
  setBrain(brain: Brain): void;
  /** Every reply waits this long first, as a model's time to answer (default 0). */
  setLatency(ms: number): void;
  close(): Promise<void>;
}

const ERRORS: Record<number, string> = { 429: 'rate_limit_error', 500: 'api_error', 529: 'overloaded_error' };
const tokens = (x: unknown) => Math.ceil(JSON.stringify(x ?? '').length / 4);

/** Text of the latest tool_result blocks in the conversation, by tool name of the call they answer. */
export function toolResults(req: MessagesRequest): { name: string; content: string; isError: boolean }[] {
  const names = new Map<string, string>();
  for (const m of req.messages) {
    if (m.role === 'assistant' && Array.isArray(m.content))
      for (const b of m.content as { type: string; id: string; name: string }[]) if (b.type === 'tool_use') names.set(b.id, b.name);
  }
  const last = req.messages.at(-1);
  if (!last || last.role !== 'user' || !Array.isArray(last.content)) return [];
  return (last.content as { type: string; tool_use_id: string; content: unknown; is_error?: boolean }[])
    .filter((b) => b.type === 'tool_result')
    .map((b) => ({
      name: names.get(b.tool_use_id) ?? '?',
      content: typeof b.content === 'string' ? b.content : JSON.stringify(b.content),
      isError: Boolean(b.is_error),
    }));
}

export const firstUserText = (req: MessagesRequest) => {
  const c = req.messages[0]?.content;
  return typeof c === 'string' ? c : JSON.stringify(c);
};
export const systemText = (req: MessagesRequest) => (typeof req.system === 'string' ? req.system : (req.system ?? []).map((b) => b.text).join('\n'));

export async function startFakeAnthropic(brain: Brain): Promise<FakeAnthropic> {
  const requests: MessagesRequest[] = [];
  const failures: number[] = [];
  const cachedPrefixes = new Set<string>();
  let current = brain;
  let latencyMs = 0;
  let n = 0;

  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c));
    req.on('end', () => {
      const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
        const id = `req_fake_${++n}`;
        setTimeout(() => {
          res.writeHead(status, { 'content-type': 'application/json', 'request-id': id, ...headers });
          res.end(JSON.stringify(payload));
        }, latencyMs);
      };
      if (req.method !== 'POST' || req.url?.split('?')[0] !== '/v1/messages')
        return send(404, { type: 'error', error: { type: 'not_found_error', message: `no route ${req.method} ${req.url}` } });
      // SDK 1.x sends the key as a bearer token; older clients used x-api-key.
      if (!req.headers['x-api-key'] && !/^Bearer \S+/.test(req.headers.authorization ?? '')) {
        return send(401, { type: 'error', error: { type: 'authentication_error', message: 'an API key is required' } });
      }
      let parsed: MessagesRequest;
      try {
        parsed = JSON.parse(body) as MessagesRequest;
      } catch {
        return send(400, { type: 'error', error: { type: 'invalid_request_error', message: 'body is not JSON' } });
      }
      if (!parsed.model || !parsed.max_tokens || !Array.isArray(parsed.messages)) {
        return send(400, { type: 'error', error: { type: 'invalid_request_error', message: 'model, max_tokens and messages are required' } });
      }
      requests.push(parsed);
      const fail = failures.shift();
      if (fail) return send(fail, { type: 'error', error: { type: ERRORS[fail] ?? 'api_error', message: `injected ${fail}` } }, { 'retry-after-ms': '20' });

      let turn: Turn;
      try {
        turn = current(parsed);
      } catch (err) {
        return send(500, { type: 'error', error: { type: 'api_error', message: `fake brain failed: ${(err as Error).message}` } });
      }
      // Prompt caching: the system prefix up to the cache_control mark is written once, then read.
      const system = Array.isArray(parsed.system) ? parsed.system : [];
      const mark = system.findIndex((b) => b.cache_control);
      const prefix = mark >= 0 ? JSON.stringify([parsed.tools, system.slice(0, mark + 1)]) : '';
      const prefixTokens = prefix ? tokens(prefix) : 0;
      const hit = prefix !== '' && cachedPrefixes.has(prefix);
      if (prefix) cachedPrefixes.add(prefix);
      const content = [
        ...(turn.text ? [{ type: 'text', text: turn.text }] : []),
        ...(turn.toolUses ?? []).map((t, i) => ({ type: 'tool_use', id: `toolu_fake_${n}_${i}`, name: t.name, input: t.input })),
      ];
      send(200, {
        id: `msg_fake_${n}`,
        type: 'message',
        role: 'assistant',
        model: parsed.model,
        content,
        stop_reason: turn.toolUses?.length ? 'tool_use' : 'end_turn',
        stop_sequence: null,
        usage: {
          input_tokens: Math.max(1, tokens(parsed.messages) + tokens(parsed.system) + tokens(parsed.tools) - prefixTokens),
          output_tokens: Math.max(1, tokens(content)),
          cache_creation_input_tokens: hit ? 0 : prefixTokens,
          cache_read_input_tokens: hit ? prefixTokens : 0,
        },
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    failNext: (...statuses) => void failures.push(...statuses),
    setBrain: (b) => void (current = b),
    setLatency: (ms) => void (latencyMs = ms),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
