// A task is data: tasks/<name>/task.yaml, validated here. Every error names the field and the rule.
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

const command = z.array(z.string().min(1)).min(1, 'needs at least the program');

const stage = z.object({
  command,
  budget_s: z.number().positive(),
  grace_s: z.number().nonnegative().default(10),
});

const knob = z
  .object({
    name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a Python identifier'),
    specialist: z.string().min(1),
    file: z.string().min(1),
    type: z.enum(['int', 'float', 'bool']),
    min: z.number().optional(),
    max: z.number().optional(),
    step: z.number().positive().optional(),
    factor: z.number().gt(1).optional(),
  })
  .refine((k) => k.type === 'bool' || k.step !== undefined || k.factor !== undefined, {
    message: 'int and float knobs need step or factor',
  })
  .refine((k) => k.min === undefined || k.max === undefined || k.min <= k.max, {
    message: 'min must not exceed max',
  });

const specialist = z.object({
  name: z.string().regex(/^[a-z][a-z0-9_-]*$/, 'lowercase name'),
  preamble: z.string().min(1),
  surface: z.array(z.string().min(1)).min(1, 'a specialist owns at least one file or glob'),
});

const stageOverride = z.object({ command: command.optional(), budget_s: z.number().positive().optional(), grace_s: z.number().nonnegative().optional() });

const preset = z.object({
  train: stageOverride.optional(),
  evaluate: stageOverride.optional(),
  size: z.object({ cap_bytes: z.number().int().positive().optional() }).optional(),
  env: z.record(z.string(), z.string()).optional(),
});

export const taskSpecSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and dashes'),
    title: z.string().default(''),
    metric: z.object({ name: z.string().min(1), direction: z.enum(['minimize', 'maximize']) }),
    recipe: z.string().default('recipe'),
    evaluator: z.string().default('evaluator'),
    knowledge: z.string().optional(),
    prepare: z.object({ command }).optional(),
    train: stage,
    evaluate: stage.extend({ grace_s: z.number().nonnegative().default(5) }),
    size: z.object({ cap_bytes: z.number().int().positive(), project: command.optional() }).optional(),
    /** Keep when better than the best by more than max(min_delta, noise_sigmas × the baseline's spread over repeats). */
    keep_rule: z
      .object({
        min_delta: z.number().nonnegative().default(0),
        repeats: z.number().int().min(1).max(9).default(1),
        noise_sigmas: z.number().nonnegative().default(0),
      })
      .default({ min_delta: 0, repeats: 1, noise_sigmas: 0 }),
    env: z.record(z.string(), z.string()).default({}),
    memory_limit_mb: z.number().int().positive().default(8192),
    protected: z.array(z.string()).default([]),
    presets: z.record(z.string(), preset).default({}),
    specialists: z.array(specialist).min(1, 'a task needs a roster of at least one specialist'),
    knobs: z.array(knob).default([]),
    baseline: z.record(z.string(), z.number()).optional(),
  })
  .superRefine((spec, ctx) => {
    const names = new Set(spec.specialists.map((s) => s.name));
    spec.knobs.forEach((k, i) => {
      if (!names.has(k.specialist)) {
        ctx.addIssue({ code: 'custom', path: ['knobs', i, 'specialist'], message: `"${k.specialist}" is not in specialists` });
      }
    });
  });

export type TaskSpec = z.infer<typeof taskSpecSchema>;
export type Knob = TaskSpec['knobs'][number];
export type Specialist = TaskSpec['specialists'][number];

export interface LoadedTask {
  spec: TaskSpec;
  dir: string;
  recipeDir: string;
  evaluatorDir: string;
  preset: string;
}

export class TaskSpecError extends Error {
  override name = 'TaskSpecError';
}

function formatIssues(file: string, error: z.ZodError): string {
  const lines = error.issues.map((i) => `  ${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
  return `invalid task spec ${file}:\n${lines.join('\n')}`;
}

/** Parses and validates a spec, then applies the named preset (e.g. "gpu"). */
export function parseTaskSpec(text: string, file: string, presetName = 'cpu'): TaskSpec {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new TaskSpecError(`invalid task spec ${file}: not YAML: ${(err as Error).message}`);
  }
  const parsed = taskSpecSchema.safeParse(raw);
  if (!parsed.success) throw new TaskSpecError(formatIssues(file, parsed.error));
  const spec = parsed.data;
  if (presetName === 'cpu' && !spec.presets.cpu) return spec;
  const p = spec.presets[presetName];
  if (!p) throw new TaskSpecError(`invalid preset for ${file}: "${presetName}" is not one of cpu, ${Object.keys(spec.presets).join(', ')}`);
  return {
    ...spec,
    train: { ...spec.train, ...p.train },
    evaluate: { ...spec.evaluate, ...p.evaluate },
    size: spec.size && { ...spec.size, ...p.size },
    env: { ...spec.env, ...p.env },
  };
}

export function tasksRoot(): string {
  return process.env.LINEAGE_TASKS_DIR ?? path.resolve(repoRoot(), 'tasks');
}

/** The Lineage checkout (the folder holding package.json), from the compiled or source location. */
export function repoRoot(): string {
  let dir = path.dirname(new URL(import.meta.url).pathname);
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('cannot find the Lineage checkout above ' + import.meta.url);
    dir = up;
  }
  return dir;
}

/** A task by name (under tasksRoot) or by folder path. */
export function loadTask(nameOrDir: string, presetName = 'cpu'): LoadedTask {
  const dir = nameOrDir.includes('/') ? path.resolve(nameOrDir) : path.join(tasksRoot(), nameOrDir);
  const file = path.join(dir, 'task.yaml');
  if (!existsSync(file)) throw new TaskSpecError(`no task spec at ${file}`);
  const spec = parseTaskSpec(readFileSync(file, 'utf8'), file, presetName);
  const recipeDir = path.join(dir, spec.recipe);
  const evaluatorDir = path.join(dir, spec.evaluator);
  if (!existsSync(recipeDir)) throw new TaskSpecError(`invalid task spec ${file}:\n  recipe: folder ${recipeDir} does not exist`);
  if (!existsSync(evaluatorDir)) throw new TaskSpecError(`invalid task spec ${file}:\n  evaluator: folder ${evaluatorDir} does not exist`);
  return { spec, dir, recipeDir, evaluatorDir, preset: presetName };
}

export interface CommandContext {
  python: string;
  root: string;
  evaluator: string;
  data: string;
  checkout?: string;
  run?: string;
  /** Evaluate only: the train run's wall time in seconds, measured by the harness. */
  train_seconds?: string;
}

/** Substitutes {python} {root} {evaluator} {data} {checkout} {run} {train_seconds} in a command. */
export function expandCommand(cmd: string[], ctx: CommandContext): string[] {
  return cmd.map((arg) =>
    arg.replace(/\{(python|root|evaluator|data|checkout|run|train_seconds)\}/g, (_, key: keyof CommandContext) => {
      const value = ctx[key];
      if (value === undefined) throw new Error(`command ${JSON.stringify(cmd)} uses {${key}}, which this stage does not provide`);
      return value;
    }),
  );
}
