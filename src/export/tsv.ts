// Tab-separated values in the dialect of Python's csv module with delimiter '\t' (how the paper's
// harness writes results.tsv): a field holding a tab, newline, carriage return or double quote is
// wrapped in double quotes with inner quotes doubled. Parsing reports the line of any malformation;
// leniently parsed, text after a closing quote ends the record and is handed back as `trailing`
// (the paper's released runs have rows whose quoted hypothesis is followed by space-joined columns).

export function formatTsv(columns: string[], rows: Record<string, string>[]): string {
  const cell = (v: string) => (/[\t\n\r"]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  return [columns, ...rows.map((r) => columns.map((c) => r[c] ?? ''))].map((cells) => cells.map(cell).join('\t')).join('\n') + '\n';
}

export interface TsvRecord {
  /** 1-based line where the record starts. */
  line: number;
  cells: string[];
  /** Lenient parsing only: the rest of the line after the closing quote of the last cell. */
  trailing?: string;
}

export class TsvError extends Error {}

export function parseTsv(text: string, file: string, o: { lenient?: boolean } = {}): TsvRecord[] {
  const records: TsvRecord[] = [];
  // Fields are sliced between delimiters found by these searches, not built character by character
  // (a 1 MB release file parses in milliseconds).
  const delimiter = /[\t\r\n]/g;
  const quoteOrNewline = /["\n]/g;
  const next = (re: RegExp, from: number) => {
    re.lastIndex = from;
    return re.exec(text)?.index ?? text.length;
  };
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const start = line;
    const cells: string[] = [];
    let trailing: string | undefined;
    for (;;) {
      let value = '';
      if (text[i] === '"') {
        i++;
        for (;;) {
          const at = next(quoteOrNewline, i);
          if (at >= text.length) throw new TsvError(`${file} line ${start}: a quoted field is never closed`);
          value += text.slice(i, at + (text[at] === '\n' ? 1 : 0));
          i = at + 1;
          if (text[at] === '\n') {
            line++;
            continue;
          }
          if (text[i] !== '"') break;
          value += '"';
          i++;
        }
        if (i < text.length && !'\t\r\n'.includes(text[i]!)) {
          if (!o.lenient) throw new TsvError(`${file} line ${line}: text after a closing quote in column ${cells.length + 1}`);
          const end = text.indexOf('\n', i);
          trailing = text.slice(i, end < 0 ? text.length : end).replace(/\r$/, '');
          i = end < 0 ? text.length : end;
        }
      } else {
        const at = next(delimiter, i);
        value = text.slice(i, at);
        i = at;
      }
      cells.push(value);
      if (text[i] === '\t') {
        i++;
        continue;
      }
      if (text[i] === '\r') i++;
      if (text[i] === '\n') {
        i++;
        line++;
      }
      break;
    }
    if (!(cells.length === 1 && cells[0] === '')) records.push(trailing === undefined ? { line: start, cells } : { line: start, cells, trailing });
  }
  return records;
}
