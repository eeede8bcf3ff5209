// The evaluator is pinned by content hash: every file under the task's evaluator folder.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.name !== '__pycache__')
    .flatMap((e) => (e.isDirectory() ? listFiles(path.join(dir, e.name), prefix + e.name + '/') : [prefix + e.name]))
    .sort();
}

export function hashEvaluator(dir: string): string {
  const h = createHash('sha256');
  for (const rel of listFiles(dir)) {
    h.update(rel + '\0');
    h.update(readFileSync(path.join(dir, rel)));
    h.update('\0');
  }
  return h.digest('hex');
}
