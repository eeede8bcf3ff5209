// Tab-separated values in the dialect of Python's csv module with delimiter '\t' (how the paper's
// harness writes results.tsv): a field holding a tab, newline, carriage return or double quote is
// wrapped in double quotes with inner quotes doubled. Parsing reports the line of any malformation.

export function formatTsv(columns: string[], rows: Record<string, string>[]): string {
  const cell = (v: string) => (/[\t\n\r"]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  return [columns, ...rows.map((r) => columns.map((c) => r[c] ?? ''))].map((cells) => cells.map(cell).join('\t')).join('\n') + '\n';
}

export interface TsvRecord {
  /** 1-based line where the record starts. */
  line: number;
  cells: string[];
}

export class TsvError extends Error {}

export function parseTsv(text: string, file: string): TsvRecord[] {
  const records: TsvRecord[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const start = line;
    const cells: string[] = [];
    for (;;) {
      let value = '';
      if (text[i] === '"') {
        i++;
        for (;;) {
          if (i >= text.length) throw new TsvError(`${file} line ${start}: a quoted field is never closed`);
          const c = text[i]!;
          if (c === '"') {
            if (text[i + 1] === '"') {
              value += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (c === '\n') line++;
          value += c;
          i++;
        }
        if (i < text.length && !'\t\r\n'.includes(text[i]!)) throw new TsvError(`${file} line ${line}: text after a closing quote in column ${cells.length + 1}`);
      } else {
        while (i < text.length && !'\t\r\n'.includes(text[i]!)) value += text[i++];
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
    if (!(cells.length === 1 && cells[0] === '')) records.push({ line: start, cells });
  }
  return records;
}
