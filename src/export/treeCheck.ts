// `lineage import --tree tree.tsv`: the same run's tree, row by row against what results.tsv
// gave. Parents and statuses must agree. The paper's tree writer left every parent written
// `exp_NNN` unresolved (those trials sit at depth 0, as roots): that is reported once, not as a
// disagreement, since its parent_exp column still names the same parent.
import type { TrialDoc } from '../store/db.js';
import { EXP_ID, expId } from './blackboard.js';
import type { ImportNote } from './importResults.js';
import { parseTsv, TsvError } from './tsv.js';

const REQUIRED = ['exp_id', 'parent_exp'];

/** `parents`: each imported trial's parent index as its results.tsv row wrote it (null: none). */
export function checkTree(text: string, file: string, trials: TrialDoc[], parents: Map<number, number | null>, metric: string, strict: boolean): ImportNote[] {
  const [header, ...records] = parseTsv(text, file, { lenient: true });
  const cols = header?.cells ?? [];
  for (const c of REQUIRED) if (!cols.includes(c)) throw new TsvError(`${file} line 1: no column "${c}" (a tree.tsv has exp_id, parent_exp, depth, path, …)`);
  const byIndex = new Map(trials.map((t) => [t.index, t]));
  const notes: ImportNote[] = [];
  const disagree = (message: string) => {
    if (strict) throw new TsvError(`${message} (--strict)`);
    notes.push({ kind: 'tree', message });
  };
  const listed = new Set<number>();
  let rooted = 0;
  for (const { line, cells } of records) {
    const get = (c: string) => (cols.includes(c) ? (cells[cols.indexOf(c)] ?? '') : '');
    const id = EXP_ID.exec(get('exp_id'));
    if (!id) {
      disagree(`${file} line ${line}: exp_id ${JSON.stringify(get('exp_id'))} is not an exp id`);
      continue;
    }
    const index = Number(id[1]);
    const t = byIndex.get(index);
    if (!t) {
      disagree(`${file} line ${line}: exp ${id[1]} is no imported row of results.tsv`);
      continue;
    }
    listed.add(index);
    const parent = EXP_ID.exec(get('parent_exp'));
    const fromResults = parents.get(index) ?? null;
    const treeParent = parent ? Number(parent[1]) : null;
    if (treeParent !== fromResults) {
      disagree(
        `${file} line ${line}: exp ${id[1]} has parent ${treeParent === null ? '(none)' : expId(treeParent)} here but ${fromResults === null ? '(none)' : expId(fromResults)} in results.tsv`,
      );
    }
    if (parent && get('depth') === '0') rooted++;
    const status = get('status');
    if (status && t.sourceStatus !== undefined && status !== t.sourceStatus)
      disagree(`${file} line ${line}: exp ${id[1]} has status ${status} here but ${t.sourceStatus} in results.tsv`);
    const score = get(metric).trim();
    if (score && t.score !== null && Number(score) !== t.score)
      disagree(`${file} line ${line}: exp ${id[1]} has ${metric} ${score} here but ${t.score} in results.tsv`);
  }
  if (rooted) {
    notes.push({
      kind: 'tree',
      message: `${file}: ${rooted} trials that name a parent sit at depth 0 there (drawn as roots); the import follows their parent_exp`,
    });
  }
  const missing = trials.filter((t) => !listed.has(t.index));
  if (missing.length)
    disagree(
      `${file}: ${missing.length} imported trials are not in it (${missing
        .slice(0, 5)
        .map((t) => expId(t.index))
        .join(', ')}${missing.length > 5 ? ', …' : ''})`,
    );
  notes.push({
    kind: 'tree',
    message: `${file}: ${listed.size} of ${trials.length} trials checked; parents ${notes.some((n) => / has parent /.test(n.message)) ? 'DISAGREE (above)' : 'agree'}`,
  });
  return notes;
}
