// Repairs for the ways the paper's released results.tsv rows went wrong, when the text allows.
// 48 rows of two released runs hold a hypothesis that swallowed the rest of the proposer's tool call
// ("…</hypothesis> <parameter name="notes">…</parameter> </invoke>"); the harness quoted that field
// and joined the remaining columns with single spaces instead of tabs.
import type { TsvRecord } from './tsv.js';

/** Splits on `sep` into at most `n` parts, the last taking the rest (notes may hold spaces). */
function splitN(text: string, sep: string, n: number): string[] {
  const parts: string[] = [];
  let rest = text;
  while (parts.length < n - 1) {
    const at = rest.indexOf(sep);
    if (at < 0) break;
    parts.push(rest.slice(0, at));
    rest = rest.slice(at + sep.length);
  }
  parts.push(rest);
  return parts;
}

/**
 * The cells of a record whose last cell was quoted and followed by space-joined columns, or why
 * not. The columns after the quoted one hold no spaces except the last (notes), so the split is
 * unambiguous when the count matches.
 */
export function joinedColumns(cols: string[], rec: TsvRecord): { cells: string[] } | { error: string } {
  const quoted = rec.cells.length - 1;
  const needed = cols.length - rec.cells.length;
  const text = rec.trailing ?? '';
  if (needed < 1 || !text.startsWith(' ')) return { error: `text after the closing quote of column ${cols[quoted] ?? quoted + 1} is not space-joined columns` };
  const parts = splitN(text.slice(1), ' ', needed);
  if (parts.length < needed) return { error: `text after the closing quote of column ${cols[quoted]} holds ${parts.length} of the ${needed} missing columns` };
  parts[parts.length - 1] = parts.at(-1)!.trim();
  return { cells: [...rec.cells, ...parts] };
}

/** A hypothesis with the proposer's tool-call markup after it: the hypothesis, and the notes it carried. */
export function leakedMarkup(hypothesis: string): { hypothesis: string; notes: string } | null {
  const end = hypothesis.indexOf('</hypothesis>');
  if (end < 0) return null;
  const notes = hypothesis
    .slice(end + '</hypothesis>'.length)
    .replace(/<parameter name="[^"]*">|<\/(parameter|notes|invoke)>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return { hypothesis: hypothesis.slice(0, end).trim(), notes };
}

/** expected_delta as proposers wrote it: "-0.001", "+0.005", "\"-0.001\"", "minus_0.0003", "negative_0.0004". */
export function proposedDelta(text: string): number | null {
  const v = text
    .trim()
    .replace(/^"(.*)"$/, '$1')
    .replace(/^(minus|negative)_/, '-');
  if (v === '') return null;
  const x = Number(v);
  return Number.isFinite(x) ? x : null;
}
