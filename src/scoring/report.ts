// The one shape of an evaluator's verdict, whichever channel brought it.
import type { EvalReport, Label } from '../types.js';
import { LABELS } from '../types.js';

export function toReport(raw: unknown): EvalReport | string {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return 'evaluator report: not a JSON object';
  const r = raw as Record<string, unknown>;
  const metric = r.metric;
  if (metric !== null && typeof metric !== 'number') return 'evaluator report: "metric" must be a number or null';
  const label = r.label ?? null;
  if (label !== null && !(typeof label === 'string' && (LABELS as readonly string[]).includes(label))) {
    return `evaluator report: unknown label ${JSON.stringify(label)}`;
  }
  const metrics: Record<string, number | null> = {};
  if (r.metrics && typeof r.metrics === 'object') {
    for (const [k, v] of Object.entries(r.metrics as Record<string, unknown>)) metrics[k] = typeof v === 'number' ? v : null;
  }
  return { metric: metric as number | null, metrics, label: label as Label | null, reason: String(r.reason ?? '') };
}

/** Parses the text of a report channel. */
export function parseReport(text: string): EvalReport | string {
  if (!text.trim()) return 'the scorer wrote no report';
  try {
    return toReport(JSON.parse(text));
  } catch (err) {
    return `the scorer's report is not JSON: ${(err as Error).message}`;
  }
}
