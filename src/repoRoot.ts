// The Lineage checkout: the folder above this module that holds package.json. Light on purpose:
// the CLI's fast paths import it without the task loader.
import { existsSync } from 'node:fs';
import path from 'node:path';

export function repoRoot(): string {
  let dir = path.dirname(new URL(import.meta.url).pathname);
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('cannot find the Lineage checkout above ' + import.meta.url);
    dir = up;
  }
  return dir;
}
