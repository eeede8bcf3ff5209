// Exact search/replace edits. A search text must occur exactly once, so an edit means one thing.
import type { Edit } from '../types.js';

export class EditError extends Error {
  override name = 'EditError';
}

/** Applies edits in order to a file map; returns the new map. Throws EditError naming the edit. */
export function applyEdits(files: Map<string, string>, edits: Edit[]): Map<string, string> {
  const out = new Map(files);
  edits.forEach((edit, i) => {
    const where = `edit ${i + 1} (${edit.file})`;
    const current = out.get(edit.file);
    if (edit.search === '') {
      if (current !== undefined) throw new EditError(`${where}: empty search creates a file, but ${edit.file} exists`);
      out.set(edit.file, edit.replace);
      return;
    }
    if (current === undefined) throw new EditError(`${where}: no such file in the parent recipe`);
    const first = current.indexOf(edit.search);
    if (first < 0) throw new EditError(`${where}: search text not found`);
    if (current.indexOf(edit.search, first + 1) >= 0) throw new EditError(`${where}: search text occurs more than once`);
    out.set(edit.file, current.slice(0, first) + edit.replace + current.slice(first + edit.search.length));
  });
  return out;
}

/** Rejects paths that would escape the checkout or touch git internals. */
export function unsafePath(file: string): string | null {
  if (file.startsWith('/') || file.split('/').includes('..')) return 'path leaves the recipe';
  if (file.split('/').includes('.git')) return 'path touches git internals';
  if (file.trim() === '' || file !== file.trim()) return 'empty or padded path';
  return null;
}
