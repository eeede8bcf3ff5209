// A task is data: tasks/<name>/task.yaml, validated here. Every error names the field and the rule.
import { readFileSync, existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import picomatch from 'picomatch';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { repoRoot } from '../repoRoot.js';

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

// A folder the user provides (their checkout of an upstream recipe, or its data), named by an
// environment variable so that the spec stays the same on every host.
const envVar = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name (A-Z, 0-9, _)');
const relPath = z
  .string()
  .min(1)
  .refine((p) => !path.isAbsolute(p) && !p.split('/').includes('..'), { message: 'a path inside the folder' });
const externalRecipe = z.object({
  from_env: envVar,
  /** Files (or globs such as nanochat/*.py) copied from that folder into the campaign's repository. */
  files: z.array(relPath).min(1, 'list the recipe files to copy from the checkout'),
  /** What the user must put in the variable, quoted in the error when it is missing. */
  hint: z.string().min(1),
});
const externalData = z.object({
  from_env: envVar,
  /** Paths that must exist in the folder (files or folders); globs allowed. */
  expect: z.array(relPath).default([]),
  hint: z.string().min(1),
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
    recipe: z.union([z.string().min(1), externalRecipe]).default('recipe'),
    evaluator: z.string().default('evaluator'),
    knowledge: z.string().optional(),
    data: externalData.optional(),
    prepare: z.object({ command }).optional(),
    /**
     * `seeds: N` (default 1): the harness trains N times, each in its own fresh checkout with
     * LINEAGE_SEED = seed * 1000 + i, under the budget each; no run sees another's outputs.
     * Each run's declared outputs land in <outputs>/seed_<i>/ and the train time is the sum.
     */
    train: stage.extend({ seeds: z.number().int().min(1).max(64).default(1) }),
    /**
     * Trusted scoring (src/scoring/): `scorer` is the task's scorer command, run by the harness outside
     * the sandbox, and `runner` its model loader, run by the shared model runner inside it. `command`
     * alone is a self-reported evaluation: the report is the last JSON line of a sandboxed process
     * that runs trial code (upstream recipes that score themselves); trial documents say which.
     */
    evaluate: z
      .object({
        command: command.optional(),
        scorer: command.optional(),
        runner: z.string().min(1).optional(),
        budget_s: z.number().positive(),
        grace_s: z.number().nonnegative().default(5),
      })
      .refine((e) => (e.scorer === undefined) !== (e.command === undefined), {
        message: 'give either scorer (trusted scoring) or command (self-reported), not both',
      })
      .refine((e) => (e.scorer === undefined) === (e.runner === undefined), { message: 'scorer and runner go together' }),
    /** Train outputs the scorer and runner may read: files (globs) under the run folder, regular files only. */
    outputs: z
      .object({
        files: z.array(relPath).min(1),
        max_bytes: z
          .number()
          .int()
          .positive()
          .default(256 * 1024 * 1024),
      })
      .optional(),
    size: z.object({ cap_bytes: z.number().int().positive(), project: command.optional() }).optional(),
    /** Keep when better than the best by more than max(min_delta, noise_sigmas × the baseline's spread over repeats). */
    keep_rule: z
      .object({
        min_delta: z.number().nonnegative().default(0),
        repeats: z.number().int().min(1).max(9).default(1),
        noise_sigmas: z.number().nonnegative().default(0),
        /** A would-be keep trains this many more times with fresh seeds; kept only if the median of all runs still clears the margin. */
        confirm: z.number().int().min(0).max(9).default(0),
      })
      .default({ min_delta: 0, repeats: 1, noise_sigmas: 0, confirm: 0 }),
    /** Scores outside [min, max] are labelled suspect (for review), never kept: far beyond what this task can reach honestly. */
    plausible: z.object({ min: z.number().optional(), max: z.number().optional() }).optional(),
    env: z.record(z.string(), z.string()).default({}),
    memory_limit_mb: z.number().int().positive().default(8192),
    protected: z.array(z.string()).default([]),
    presets: z.record(z.string(), preset).default({}),
    specialists: z.array(specialist).min(1, 'a task needs a roster of at least one specialist'),
    knobs: z.array(knob).default([]),
    baseline: z.record(z.string(), z.number()).optional(),
    /** What a host needs to run this task (checked at campaign setup and when a worker loads it). */
    requires: z
      .object({
        debian: z.array(z.string().regex(/^[a-z0-9][a-z0-9+.-]+$/, 'a Debian package name')).default([]),
        python: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_.]*$/, 'a Python module name')).default([]),
        files: z.array(z.string().min(1)).default([]),
        commands: z.array(z.string().regex(/^[^/\s]+$/, 'a program name, without a folder')).default([]),
      })
      .default({ debian: [], python: [], files: [], commands: [] }),
  })
  .superRefine((spec, ctx) => {
    const names = new Set(spec.specialists.map((s) => s.name));
    spec.knobs.forEach((k, i) => {
      if (!names.has(k.specialist)) {
        ctx.addIssue({ code: 'custom', path: ['knobs', i, 'specialist'], message: `"${k.specialist}" is not in specialists` });
      }
    });
    if (typeof spec.recipe === 'string') {
      const commands = {
        'train.command': spec.train.command,
        'evaluate.command': spec.evaluate.command ?? spec.evaluate.scorer ?? [],
        'prepare.command': spec.prepare?.command ?? [],
      };
      for (const [field, cmd] of Object.entries(commands)) {
        if (cmd.some((a) => a.includes('{recipe_src}'))) {
          ctx.addIssue({ code: 'custom', path: field.split('.'), message: "{recipe_src} needs recipe.from_env (a user's checkout)" });
        }
      }
    }
    if (spec.train.seeds > 1 && !spec.evaluate.scorer) {
      ctx.addIssue({
        code: 'custom',
        path: ['train', 'seeds'],
        message: "several seeds need trusted scoring (evaluate.scorer): the seeds' outputs are collected for the scorer",
      });
    }
    if (spec.evaluate.scorer && !spec.outputs) {
      ctx.addIssue({ code: 'custom', path: ['outputs'], message: 'a trusted scorer needs outputs: the train files it and the runner may read' });
    }
    if (spec.data && spec.prepare) {
      ctx.addIssue({ code: 'custom', path: ['prepare'], message: 'a task whose data comes from data.from_env prepares nothing' });
    }
  });

export type TaskSpec = z.infer<typeof taskSpecSchema>;
export type Knob = TaskSpec['knobs'][number];
export type Specialist = TaskSpec['specialists'][number];

export interface LoadedTask {
  spec: TaskSpec;
  dir: string;
  recipeDir: string;
  /** The files copied into the campaign's repository: every file of recipeDir when null. */
  recipeFiles: string[] | null;
  evaluatorDir: string;
  /** The user's data folder (data.from_env); null when the task prepares its own. */
  dataDir: string | null;
  preset: string;
}

export class TaskSpecError extends Error {
  override name = 'TaskSpecError';
}

type Issue = { code: string; path: PropertyKey[]; message: string; errors?: Issue[][] };

/** A union's own issue says only "Invalid input": report the issues of the branch whose type matched. */
function precise(issue: Issue): Issue[] {
  if (issue.code !== 'invalid_union' || !issue.errors?.length) return [issue];
  const typed = issue.errors.find((branch) => !branch.some((i) => i.code === 'invalid_type' && i.path.length === 0));
  if (!typed) return [{ ...issue, message: issue.errors.map((b) => b.map((i) => i.message).join('; ')).join(', or ') }];
  return typed.flatMap((i) => precise({ ...i, path: [...issue.path, ...i.path] }));
}

function formatIssues(file: string, error: z.ZodError): string {
  const issues = (error.issues as Issue[]).flatMap(precise);
  const lines = issues.map((i) => `  ${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
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
export { repoRoot };

// Heavy folders of a user's checkout that recipe globs never descend into.
const SKIP_DIRS = new Set(['.git', '.venv', 'venv', 'node_modules', '__pycache__']);

function walk(root: string, rel: string, out: string[]): void {
  const abs = path.join(root, rel);
  if (!existsSync(abs)) return;
  if (!statSync(abs).isDirectory()) {
    out.push(rel);
    return;
  }
  for (const e of readdirSync(abs, { withFileTypes: true })) {
    if (e.isDirectory() && SKIP_DIRS.has(e.name)) continue;
    walk(root, rel ? `${rel}/${e.name}` : e.name, out);
  }
}

/** The paths under `root` matching each pattern (an exact path or a glob); patterns that match nothing are returned as missing. */
export function matchPaths(root: string, patterns: string[]): { found: string[]; missing: string[] } {
  const found = new Set<string>();
  const missing: string[] = [];
  for (const pattern of patterns) {
    const scan = picomatch.scan(pattern);
    if (!scan.isGlob) {
      if (existsSync(path.join(root, pattern))) found.add(pattern);
      else missing.push(pattern);
      continue;
    }
    const candidates: string[] = [];
    walk(root, scan.base, candidates); // only below the glob's static prefix: never the whole checkout
    const isMatch = picomatch(pattern);
    const hits = candidates.filter((c) => isMatch(c));
    if (hits.length === 0) missing.push(pattern);
    hits.forEach((h) => found.add(h));
  }
  return { found: [...found].sort(), missing };
}

/** A folder named by an environment variable, checked for what the task expects in it. */
function userFolder(file: string, field: string, from: { from_env: string; hint: string }, expect: string[]): { dir: string; found: string[] } {
  const value = process.env[from.from_env];
  if (!value) {
    throw new TaskSpecError(`task ${file}:\n  ${field}.from_env: environment variable ${from.from_env} is not set; set it to ${from.hint}`);
  }
  const dir = path.resolve(value);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new TaskSpecError(`task ${file}:\n  ${field}.from_env: ${from.from_env}=${value} is not a folder; set it to ${from.hint}`);
  }
  const { found, missing } = matchPaths(dir, expect);
  if (missing.length) {
    throw new TaskSpecError(`task ${file}:\n  ${field}.from_env: ${from.from_env}=${value} lacks ${missing.join(', ')}; set it to ${from.hint}`);
  }
  return { dir, found };
}

/** Puts the user's checkout into the commands and environment: {recipe_src} is its folder. */
function withRecipeSource(spec: TaskSpec, recipeSrc: string): TaskSpec {
  const sub = (s: string) => s.replaceAll('{recipe_src}', recipeSrc);
  const stage = <T extends { command: string[] }>(st: T): T => ({ ...st, command: st.command.map(sub) });
  return {
    ...spec,
    train: stage(spec.train),
    evaluate: { ...spec.evaluate, command: spec.evaluate.command?.map(sub), scorer: spec.evaluate.scorer?.map(sub) },
    prepare: spec.prepare && stage(spec.prepare),
    size: spec.size && { ...spec.size, project: spec.size.project?.map(sub) },
    env: Object.fromEntries(Object.entries(spec.env).map(([k, v]) => [k, sub(v)])),
  };
}

/** A task by name (under tasksRoot) or by folder path. */
export function loadTask(nameOrDir: string, presetName = 'cpu'): LoadedTask {
  const dir = nameOrDir.includes('/') ? path.resolve(nameOrDir) : path.join(tasksRoot(), nameOrDir);
  const file = path.join(dir, 'task.yaml');
  if (!existsSync(file)) throw new TaskSpecError(`no task spec at ${file}`);
  let spec = parseTaskSpec(readFileSync(file, 'utf8'), file, presetName);
  const evaluatorDir = path.join(dir, spec.evaluator);
  if (!existsSync(evaluatorDir)) throw new TaskSpecError(`invalid task spec ${file}:\n  evaluator: folder ${evaluatorDir} does not exist`);
  let recipeDir: string;
  let recipeFiles: string[] | null = null;
  if (typeof spec.recipe === 'string') {
    recipeDir = path.join(dir, spec.recipe);
    if (!existsSync(recipeDir)) throw new TaskSpecError(`invalid task spec ${file}:\n  recipe: folder ${recipeDir} does not exist`);
  } else {
    const checkout = userFolder(file, 'recipe', spec.recipe, spec.recipe.files);
    recipeDir = checkout.dir;
    recipeFiles = checkout.found;
    spec = withRecipeSource(spec, recipeDir);
  }
  const dataDir = spec.data ? userFolder(file, 'data', spec.data, spec.data.expect).dir : null;
  return { spec, dir, recipeDir, recipeFiles, evaluatorDir, dataDir, preset: presetName };
}

export interface CommandContext {
  python: string;
  root: string;
  evaluator: string;
  data: string;
  checkout?: string;
  run?: string;
  /** Trusted scoring: the harness's copy of the train outputs. */
  outputs?: string;
  /** Evaluate only: the train run's wall time in seconds, measured by the harness. */
  train_seconds?: string;
}

/** Substitutes {python} {root} {evaluator} {data} {checkout} {run} {outputs} {train_seconds} in a command. */
export function expandCommand(cmd: string[], ctx: CommandContext): string[] {
  return cmd.map((arg) =>
    arg.replace(/\{(python|root|evaluator|data|checkout|run|outputs|train_seconds)\}/g, (_, key: keyof CommandContext) => {
      const value = ctx[key];
      if (value === undefined) throw new Error(`command ${JSON.stringify(cmd)} uses {${key}}, which this stage does not provide`);
      return value;
    }),
  );
}
