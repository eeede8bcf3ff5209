// The prompt documents in ./prompts, filled in. Read once per process.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../repoRoot.js';

const cache = new Map<string, string>();

/** A prompt document's text, without its final newline. */
export function promptDoc(name: string): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = readFileSync(path.join(repoRoot(), 'src/proposers/claude/prompts', name), 'utf8').replace(/\n$/, '');
    cache.set(name, text);
  }
  return text;
}

/** Fills `{{name}}`s; a line with a null value is left out; a name with no value at all is an error in the document. */
export function fill(template: string, values: Record<string, string | number | null>): string {
  return template
    .split('\n')
    .flatMap((line) => {
      let dropped = false;
      const out = line.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
        if (!(key in values)) throw new Error(`prompt template: no value for {{${key}}}`);
        const v = values[key];
        if (v === null) dropped = true;
        return String(v);
      });
      return dropped ? [] : [out];
    })
    .join('\n');
}
