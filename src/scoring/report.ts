// The one shape of an evaluator's verdict, whichever channel brought it.
import { z } from 'zod';
import type { EvalReport } from '../types.js';
import { LABELS } from '../types.js';

const reportSchema = z.looseObject(
  {
    metric: z.number({ error: '"metric" must be a number or null' }).nullable(),
    label: z.enum(LABELS, { error: (issue) => `unknown label ${JSON.stringify(issue.input)}` }).nullish(),
    metrics: z.record(z.string(), z.unknown()).catch({}).optional(),
    reason: z.unknown().optional(),
  },
  { error: 'not a JSON object' },
);

export function toReport(raw: unknown): EvalReport | string {
  const r = reportSchema.safeParse(raw);
  if (!r.success) return `evaluator report: ${r.error.issues[0]!.message}`;
  // Side metrics are informative only: one that is not a number is kept as null, not an error.
  const metrics = Object.fromEntries(Object.entries(r.data.metrics ?? {}).map(([k, v]) => [k, typeof v === 'number' ? v : null]));
  return { metric: r.data.metric, metrics, label: r.data.label ?? null, reason: String(r.data.reason ?? '') };
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
