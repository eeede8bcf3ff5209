// The evaluator is pinned by content hash: every file under the task's evaluator folder, and the
// shared scoring library (src/scoring/py) its scorer and model runner use.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../repoRoot.js';

/** The Python half of trusted scoring, shared by every task: wire protocol, scorer helpers, model runner. */
export const SCORING_LIB = path.join(repoRoot(), 'src', 'scoring', 'py');

function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.name !== '__pycache__')
    .flatMap((e) => (e.isDirectory() ? listFiles(path.join(dir, e.name), prefix + e.name + '/') : [prefix + e.name]))
    .sort();
}

export function hashEvaluator(dir: string): string {
  const h = createHash('sha256');
  for (const [root, label] of [
    [dir, ''],
    [SCORING_LIB, '<scoring>/'],
  ] as const) {
    for (const rel of listFiles(root)) {
      h.update(label + rel + '\0');
      h.update(readFileSync(path.join(root, rel)));
      h.update('\0');
    }
  }
  return h.digest('hex');
}
