// A recipe's identity by content: two trials whose edits leave the same files train the same recipe.
import { createHash } from 'node:crypto';

/** sha256 over the recipe's files in path order (path, length and content of each). */
export function recipeTreeHash(files: Map<string, string>): string {
  const h = createHash('sha256');
  for (const p of [...files.keys()].sort()) {
    const content = files.get(p)!;
    h.update(`${p}\0${Buffer.byteLength(content)}\0`).update(content);
  }
  return h.digest('hex');
}
