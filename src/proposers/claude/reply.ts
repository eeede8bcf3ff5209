// The model's proposal arrives as the input of the submit_proposal tool. It is checked here; an
// error message names the field and the rule, and goes back to the model for one repair turn.
import { applyPatch, parsePatch } from 'diff';
import { z } from 'zod';
import type { Edit } from '../../types.js';

const edit = z.object({
  file: z.string().min(1, 'a file path in the recipe'),
  search: z.string(),
  replace: z.string(),
});

const submissionSchema = z
  .object({
    hypothesis: z
      .string()
      .trim()
      .min(8, 'one or two sentences: what you change and why it should help')
      .max(1200)
      .describe('What you change and why it should improve the metric.'),
    expected_delta: z
      .number({ error: 'a number: the change in the metric you expect (negative when lower is better)' })
      .describe('Expected change of the metric versus the current best (sign as the metric moves).'),
    rationale: z.string().max(4000).default('').describe('Evidence from the lineage and the recipe behind the hypothesis.'),
    edits: z
      .array(edit)
      .max(40)
      .optional()
      .describe('Exact search/replace blocks. search must occur exactly once in the parent file; search "" creates a new file.'),
    diff: z.string().optional().describe('Alternatively, a unified diff (--- a/FILE, +++ b/FILE, @@ hunks) against the parent recipe.'),
    port_from: z.number().int().nonnegative().optional().describe('Set when you carry another trial’s diff onto the current best: that trial’s index.'),
  })
  .strict()
  .refine((s) => Boolean(s.edits?.length) !== Boolean(s.diff?.trim()), {
    message: 'give exactly one of edits (search/replace blocks) or diff (a unified diff)',
    path: ['edits'],
  });

type Submission = z.infer<typeof submissionSchema>;

/** JSON schema of submit_proposal's input, as the Messages API takes it: made from the schema above, so the two cannot drift. */
export const submitToolSchema = (({ $schema: _, ...schema }) => schema)(z.toJSONSchema(submissionSchema, { io: 'input' }));

export class ReplyError extends Error {
  override name = 'ReplyError';
}

function zodMessage(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.length ? i.path.join('.') : '(input)'}: ${i.message}`).join('; ');
}

const stripPrefix = (name: string | undefined) => (name ?? '').replace(/^[ab]\//, '').trim();

/** A unified diff as whole-file edits against the parent recipe; throws ReplyError naming the file or hunk. */
export function diffToEdits(diff: string, parentFiles: Map<string, string>): Edit[] {
  let patches;
  try {
    patches = parsePatch(diff);
  } catch (err) {
    throw new ReplyError(`diff: not a unified diff: ${(err as Error).message}`);
  }
  patches = patches.filter((p) => p.hunks.length > 0);
  if (patches.length === 0) throw new ReplyError('diff: no hunks found (expected --- a/FILE, +++ b/FILE and @@ lines)');
  // Two patches may touch one file: each applies to the result of the one before.
  const current = new Map(parentFiles);
  return patches.map((p) => {
    const created = p.oldFileName === '/dev/null';
    const file = stripPrefix(created ? p.newFileName : p.oldFileName);
    if (!file || file === '/dev/null') throw new ReplyError('diff: a file header names no file');
    const before = created ? '' : current.get(file);
    if (before === undefined) throw new ReplyError(`diff: ${file} is not a file of the parent recipe`);
    const after = applyPatch(before, p);
    if (after === false) throw new ReplyError(`diff: the hunks for ${file} do not apply to the parent recipe (context lines must match exactly)`);
    current.set(file, after);
    return { file, search: before, replace: after };
  });
}

/** The tool input as a checked submission with edits, or a ReplyError to send back to the model. */
export function parseSubmission(input: unknown, parentFiles: Map<string, string>): Submission & { edits: Edit[] } {
  const parsed = submissionSchema.safeParse(input);
  if (!parsed.success) throw new ReplyError(zodMessage(parsed.error));
  const s = parsed.data;
  const edits = s.edits?.length ? s.edits : diffToEdits(s.diff!, parentFiles);
  return { ...s, edits };
}
