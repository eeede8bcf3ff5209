// The campaign's recipe lives in a git repository; each trial is a commit whose parent is the
// recipe version it edited. Commits are made with plumbing (no working tree), so concurrent
// trials never share an index, and a fixed commit date makes a retried apply give the same sha.
import { execa } from 'execa';
import { existsSync, mkdirSync, cpSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { mkdtemp, rm } from 'node:fs/promises';

const IDENTITY = {
  GIT_AUTHOR_NAME: 'lineage',
  GIT_AUTHOR_EMAIL: 'lineage@localhost',
  GIT_COMMITTER_NAME: 'lineage',
  GIT_COMMITTER_EMAIL: 'lineage@localhost',
};

export class RecipeRepository {
  constructor(readonly dir: string) {}

  private async git(args: string[], opts: { input?: string; env?: Record<string, string>; raw?: boolean } = {}): Promise<string> {
    const { stdout } = await execa('git', args, {
      cwd: this.dir,
      input: opts.input,
      env: { ...IDENTITY, GIT_CONFIG_NOSYSTEM: '1', ...opts.env },
      stripFinalNewline: !opts.raw,
    });
    return stdout;
  }

  /** Creates the repository from the task's recipe folder once (only `files` of it when given); returns the baseline sha. */
  async init(recipeDir: string, date: string, files: string[] | null = null): Promise<string> {
    if (existsSync(path.join(this.dir, 'HEAD'))) {
      return this.git(['rev-parse', 'refs/heads/baseline']);
    }
    mkdirSync(this.dir, { recursive: true });
    const work = await mkdtemp(path.join(os.tmpdir(), 'lineage-init-'));
    try {
      if (files) {
        // A user's checkout also holds data and environments: copy the recipe's files alone.
        for (const f of files) cpSync(path.join(recipeDir, f), path.join(work, f), { recursive: true, filter: (src) => !src.includes('__pycache__') });
      } else {
        cpSync(recipeDir, work, { recursive: true, filter: (src) => !src.includes('__pycache__') });
      }
      await execa('git', ['init', '-q', '--bare', this.dir]);
      // The index lives beside the work tree, not in it: its lock file must not end up in the baseline.
      const env = { ...IDENTITY, GIT_DIR: this.dir, GIT_WORK_TREE: work, GIT_INDEX_FILE: `${work}.index` };
      await execa('git', ['add', '-A', '.'], { cwd: work, env });
      const tree = (await execa('git', ['write-tree'], { cwd: work, env })).stdout.trim();
      const sha = (
        await execa('git', ['commit-tree', tree, '-m', 'baseline recipe'], {
          cwd: work,
          env: { ...env, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
        })
      ).stdout.trim();
      await this.git(['update-ref', 'refs/heads/baseline', sha]);
      return sha;
    } finally {
      await rm(work, { recursive: true, force: true });
      await rm(`${work}.index`, { force: true });
    }
  }

  async listFiles(sha: string): Promise<string[]> {
    const out = await this.git(['ls-tree', '-r', '--name-only', sha]);
    return out ? out.split('\n') : [];
  }

  async readFile(sha: string, file: string): Promise<string> {
    // A file's bytes as committed: its final newline too, so edits can anchor on the last line.
    return this.git(['show', `${sha}:${file}`], { raw: true });
  }

  /** Every file of a commit, as text. Recipes are small source trees. */
  async snapshot(sha: string): Promise<Map<string, string>> {
    const files = new Map<string, string>();
    for (const f of await this.listFiles(sha)) files.set(f, await this.readFile(sha, f));
    return files;
  }

  /** Commits `changed` files on top of the first parent (others are recorded as parents too) and points `ref` at it (if given); returns the sha. */
  async commit(parents: string[], changed: Map<string, string>, message: string, ref: string | null, date: string): Promise<string> {
    const index = path.join(os.tmpdir(), `lineage-index-${process.pid}-${Math.random().toString(36).slice(2)}`);
    const env = { GIT_INDEX_FILE: index, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date };
    try {
      const [parent] = parents;
      await this.git(['read-tree', parent!], { env });
      for (const [file, content] of changed) {
        const blob = await this.git(['hash-object', '-w', '--stdin'], { input: content });
        await this.git(['update-index', '--add', '--cacheinfo', `100644,${blob},${file}`], { env });
      }
      const tree = await this.git(['write-tree'], { env });
      const sha = await this.git(['commit-tree', tree, ...parents.flatMap((p) => ['-p', p]), '-m', message], { env });
      if (ref) await this.pointRef(ref, sha);
      return sha;
    } finally {
      await rm(index, { force: true });
    }
  }

  /**
   * Three-way, as git merges: the changes `sha` made to `base`, carried onto `onto`, file by file
   * (`git merge-file`). Returns the files that differ from `onto`, or the files whose changes conflict.
   */
  async threeWay(base: string, onto: string, sha: string): Promise<{ changed: Map<string, string> } | { conflicts: string[] }> {
    const names = (await this.git(['diff', '--name-only', '--no-renames', base, sha])).split('\n').filter(Boolean);
    const listed = new Map<string, Promise<Set<string>>>();
    const read = async (commit: string, file: string) => {
      if (!listed.has(commit))
        listed.set(
          commit,
          this.listFiles(commit).then((fs) => new Set(fs)),
        );
      return (await listed.get(commit)!).has(file) ? this.readFile(commit, file) : null;
    };
    const changed = new Map<string, string>();
    const conflicts: string[] = [];
    const work = await mkdtemp(path.join(os.tmpdir(), 'lineage-merge-'));
    try {
      for (const file of names) {
        const [b, ours, theirs] = await Promise.all([read(base, file), read(onto, file), read(sha, file)]);
        if (theirs === null) {
          conflicts.push(file); // trials do not delete files: a deletion here is not a trial's change to carry
          continue;
        }
        let merged: string | null;
        if (ours === b || ours === theirs) merged = theirs;
        else if (ours === null || b === null)
          merged = null; // added on one side, changed on the other
        else {
          const [fo, fb, ft] = ['ours', 'base', 'theirs'].map((n) => path.join(work, n));
          writeFileSync(fo!, ours);
          writeFileSync(fb!, b);
          writeFileSync(ft!, theirs);
          const r = await execa('git', ['merge-file', '-p', fo!, fb!, ft!], { reject: false, stripFinalNewline: false });
          merged = r.exitCode === 0 ? r.stdout : null;
        }
        if (merged === null) conflicts.push(file);
        else if (merged !== ours) changed.set(file, merged);
      }
    } finally {
      await rm(work, { recursive: true, force: true });
    }
    return conflicts.length ? { conflicts } : { changed };
  }

  async pointRef(ref: string, sha: string): Promise<void> {
    await this.git(['update-ref', ref, sha]);
  }

  async diff(parent: string, sha: string): Promise<string> {
    return this.git(['diff', '--no-color', parent, sha]);
  }
}
