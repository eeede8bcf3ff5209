// The shape of a campaign's input, its budget, a budget change, its plateau and its proposer, as
// zod schemas. Pure and deterministic: the campaign workflow checks its input with them (zod runs
// in the workflow bundle), so a bad field fails the campaign at once with one message format,
// `field: what it must be`.
import { z } from 'zod';

/** The first problem zod finds, as `field: rule` (under `at`, the value's own field); unknown fields are named first. */
export function firstProblem(schema: z.ZodType, value: unknown, at?: string): string | null {
  const r = schema.safeParse(value);
  if (r.success) return null;
  const issues = [...r.error.issues].sort((a, b) => Number(b.code === 'unrecognized_keys') - Number(a.code === 'unrecognized_keys'));
  const issue = issues[0]!;
  const path = [...(at ? [at] : []), ...issue.path, ...(issue.code === 'unrecognized_keys' ? [issue.keys[0]!] : [])];
  return `${path.map(String).join('.') || '(root)'}: ${issue.message}`;
}

/** An object whose unknown fields are errors naming the known ones. */
const strictObject = <S extends z.ZodRawShape>(shape: S, notObject: string) =>
  z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown field (known: ${Object.keys(shape).join(', ')})` : notObject),
  });
const whole = (lo: number, hi: number, error: string) => z.number({ error }).int({ error }).min(lo, { error }).max(hi, { error });
const amount = z.number({ error: 'a number >= 0' }).min(0, { error: 'a number >= 0' });
const isoError = 'an ISO time such as 2026-01-31T18:00:00Z';
const isoTime = z
  .string({ error: isoError })
  .regex(/^\d{4}-\d\d-\d\dT/, { error: isoError })
  .refine((s) => !Number.isNaN(Date.parse(s)), { error: isoError });

const budgetFields = {
  trials: whole(0, Number.MAX_SAFE_INTEGER, 'a whole number >= 0'),
  gpuHours: amount.optional(),
  dollars: amount.optional(),
  deadline: isoTime.optional(),
};
const BUDGET_FIELDS = Object.keys(budgetFields).join(', ');
export const budgetSchema = strictObject(budgetFields, `an object with trials (and optionally gpuHours, dollars, deadline)`);
/** A setBudget change: any of the budget's fields. */
export const budgetChangeSchema = strictObject({ ...budgetFields, trials: budgetFields.trials.optional() }, `an object with any of ${BUDGET_FIELDS}`);

export const plateauSchema = strictObject(
  {
    trials: whole(1, Number.MAX_SAFE_INTEGER, 'a whole number >= 1').optional(),
    hours: z.number({ error: 'a number > 0' }).gt(0, { error: 'a number > 0' }).optional(),
  },
  'an object with trials and/or hours',
);

export const parallelismSchema = whole(1, 256, 'a whole number from 1 to 256');

const optunaConfig = z.looseObject(
  {
    kind: z.literal('optuna', { error: 'optuna' }),
    sampler: z.enum(['tpe', 'cmaes'], { error: 'tpe (default) or cmaes' }).optional(),
  },
  { error: '{"kind":"optuna","sampler":"tpe"|"cmaes"}' },
);
const PROPOSER_KINDS = ['offline', 'optuna', 'replay', 'claude'];
const proposerSchema = z.discriminatedUnion(
  'kind',
  [
    z.looseObject({ kind: z.literal('offline') }),
    optunaConfig,
    z.looseObject({ kind: z.literal('replay'), proposals: z.array(z.unknown(), { error: 'a list of proposals' }) }),
    z
      .looseObject({ kind: z.literal('claude'), lineage: z.boolean({ error: 'true or false' }).optional(), optimizer: optunaConfig.optional() })
      .refine((c) => !(c.optimizer && c.lineage === false), {
        path: ['optimizer'],
        error: 'the hybrid arm shows its suggestion in the lineage view, so it needs lineage (drop lineage: false)',
      }),
  ],
  { error: `one of ${PROPOSER_KINDS.join(', ')}` },
);

const rosterSchema = z.discriminatedUnion(
  'kind',
  [
    z.looseObject({ kind: z.literal('specialists') }),
    z.looseObject({ kind: z.literal('generalist') }),
    z.looseObject({ kind: z.literal('generic'), agents: whole(1, 64, 'a whole number from 1 to 64') }),
  ],
  { error: 'one of specialists, generalist, generic' },
);

/** Fields the campaign reads; others (preset, specialists, carried) are checked where they are used. */
const campaignInputSchema = z
  .looseObject(
    {
      campaignId: z.string({ error: 'letters, digits, . _ -' }).regex(/^[A-Za-z0-9_.-]+$/, { error: 'letters, digits, . _ -' }),
      task: z.string({ error: 'a task name under tasks/' }).min(1, { error: 'a task name under tasks/' }),
      budget: budgetSchema,
      slots: whole(1, 128, 'a whole number from 1 to 128').optional(),
      lookahead: whole(0, 4, 'a whole number from 0 to 4 (proposals ready per slot)').optional(),
      rebase: z.boolean({ error: 'true or false' }).optional(),
      parallelism: parallelismSchema.optional(),
      proposer: proposerSchema,
      seed: z.number({ error: 'a whole number' }).int({ error: 'a whole number' }).optional(),
      plateau: plateauSchema.optional(),
      specialistChoice: z.enum(['round_robin', 'bandit'], { error: 'round_robin or bandit' }).optional(),
      trialsPerRun: whole(1, Number.MAX_SAFE_INTEGER, 'a whole number >= 1').optional(),
      roster: rosterSchema.optional(),
      outageLimitMinutes: z.number({ error: 'a number of minutes > 0 (default 30)' }).gt(0, { error: 'a number of minutes > 0 (default 30)' }).optional(),
    },
    { error: 'must be an object' },
  )
  .refine((i) => i.parallelism !== undefined || i.slots !== undefined, {
    path: ['slots'],
    error: 'the number of train slots to fill (or parallelism: trials in flight)',
  });

/** The first malformed field of a campaign's input, or null. */
export const campaignInputError = (input: unknown) => firstProblem(campaignInputSchema, input);

/** The first malformed field of a campaign's `proposer`, or null. */
export const proposerConfigError = (p: unknown) => firstProblem(proposerSchema, p, 'proposer');
