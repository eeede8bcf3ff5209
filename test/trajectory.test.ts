// report, export, import and watch on a real campaign (toy task, real Temporal + FerretDB),
// and the report and the Temporal UI checked in headless chromium.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { startHarness, startCampaign, knob, uniqueId, TOY_TASK, type Harness } from './support/harness.js';
import { artifactPath, collectErrors, launchChromium } from './support/browser.js';
import { repoRoot } from '../src/task/spec.js';
import { trialId } from '../src/ids.js';
import { parseTsv } from '../src/export/tsv.js';

const run = promisify(execFile);
const CLI = path.join(repoRoot(), 'dist/src/cli/main.js');
const lineage = (...args: string[]) => run(process.execPath, [CLI, ...args], { env: process.env, maxBuffer: 64 << 20 });

describe('trajectory: watch, report, export, import, compare', function () {
  let h: Harness;
  let browser: Browser;
  const campaignId = uniqueId('traj');
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'lineage-traj-'));
  let watched: { code: number; stdout: string };

  before(async function () {
    h = await startHarness({ slots: 1 });
    const proposals = [
      knob('opt', 'X = 3.0  # the parameter being tuned', 'X = 1.5  # the parameter being tuned', 'move X <toward> 1 & "see"\tthen\nstop'),
      knob('arch', 'SIZE = 1000  # artifact bytes', 'SIZE = 50000  # artifact bytes'),
      knob('data', 'NAN = False', 'NAN = True'),
      knob('opt', 'X = 1.5  # the parameter being tuned', 'X = 2.0  # the parameter being tuned'),
      knob('opt', 'CRASH = False', 'CRASH = True'),
      knob('opt', 'X = 1.5  # the parameter being tuned', 'X = 1.0  # the parameter being tuned'),
    ];
    await startCampaign(h.client, {
      campaignId,
      task: TOY_TASK,
      budget: { trials: proposals.length },
      parallelism: 1,
      proposer: { kind: 'replay', proposals },
    });
    // `lineage watch` as a user runs it, piped (not a terminal), from the start to the end of the campaign.
    watched = await lineage('watch', campaignId, '--interval', '300').then(
      (r) => ({ code: 0, stdout: r.stdout }),
      (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
    );
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await h?.stop();
  });

  it('watch prints every trial row and budget bars, and exits 0 when the campaign completes', async () => {
    assert.equal(watched.code, 0, watched.stdout);
    const lines = watched.stdout.split('\n');
    for (let i = 0; i <= 6; i++)
      assert.ok(
        lines.some((l) => l.startsWith(`#${String(i).padStart(3)} `)),
        `row for trial ${i} in:\n${watched.stdout}`,
      );
    assert.ok(
      lines.some((l) => /trials \[[#.]{20}\] \d+\/6 finished/.test(l)),
      watched.stdout,
    );
    assert.match(watched.stdout, /GPU [\d.]+ h/);
    assert.match(lines.filter(Boolean).at(-1)!, new RegExp(`campaign ${campaignId} completed: best loss 0 \\(trial #6\\)`));
    assert.doesNotMatch(watched.stdout, /\x1b\[/, 'no terminal control codes when piped');
    const missing = await lineage('watch', 'no-such-campaign').then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    assert.equal(missing?.code, 1);
    assert.match(missing!.stderr, /lineage watch: no campaign workflow "no-such-campaign" in Temporal \(namespace default\)/);
  });

  it('report: one self-contained HTML page that chromium renders without errors', async function () {
    const out = path.join(tmp, 'report.html');
    const { stdout } = await lineage('report', campaignId, '--out', out);
    assert.match(stdout, /wrote .*report\.html \(7 trials/);
    const html = readFileSync(out, 'utf8');
    assert.doesNotMatch(html, /<script|<link|src="http|href="http|@import|url\(http/i, 'nothing fetched from elsewhere');
    assert.match(html, /move X &lt;toward&gt; 1 &amp; &quot;see&quot;/, 'hypotheses are escaped');
    assert.match(html, /<pre>diff --git a\/train.py b\/train.py[\s\S]*?\n\+X = 1\.0/, 'the kept diff is in the keep chain');

    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors = collectErrors(page);
    await page.goto(`file://${out}`);
    assert.equal((await page.locator('#score-chart svg .mark-symbol.role-mark path').count()) > 0, true, 'score points drawn');
    assert.equal(await page.locator('#score-chart svg .mark-line.role-mark path').count(), 1, 'best-so-far line drawn');
    // Seven trials, seven tree nodes; the keep chain #0 → #1 → #6 is labelled.
    assert.equal(await page.locator('#tree-chart svg .mark-symbol.role-mark path').count(), 7);
    assert.deepEqual((await page.locator('#tree-chart svg .mark-text.role-mark text').allTextContents()).filter(Boolean), ['#0', '#1', '#6']);
    assert.equal((await page.locator('#label-chart svg .mark-rect.role-mark path').count()) > 0, true);
    assert.equal(await page.locator('section.keep').count(), 3);
    assert.match(await page.locator('table.summary').innerText(), /best loss\s+0 \(trial #6/);
    const shot = artifactPath(`report-${campaignId}.png`);
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`      screenshot: ${shot}`);
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('export writes trials.jsonl and the blackboard results.tsv and tree.tsv', async () => {
    const dir = path.join(tmp, 'export');
    const { stdout } = await lineage('export', campaignId, '--out', dir);
    assert.match(stdout, /exported 7 trials/);
    const jsonl = readFileSync(path.join(dir, 'trials.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const docs = await h.deps.store.trials.find({ campaignId }).sort({ index: 1 }).toArray();
    assert.deepEqual(jsonl, JSON.parse(JSON.stringify(docs)), 'one complete line per trial');

    const [header, ...rows] = parseTsv(readFileSync(path.join(dir, 'results.tsv'), 'utf8'), 'results.tsv');
    assert.deepEqual(header!.cells.slice(0, 18), [
      'exp_id',
      'timestamp',
      'specialist',
      'parent_exp',
      'baseline_exp',
      'domain',
      'hypothesis',
      'expected_delta',
      'status',
      'loss',
      'delta_vs_best',
      'artifact_bytes',
      'train_s',
      'eval_s',
      'total_s',
      'job_name',
      'snapshot_path',
      'notes',
    ]);
    const col = (r: { cells: string[] }, c: string) => r.cells[header!.cells.indexOf(c)];
    assert.deepEqual(
      rows.map((r) => col(r, 'exp_id')),
      ['exp_000', 'exp_001', 'exp_002', 'exp_003', 'exp_004', 'exp_005', 'exp_006'],
    );
    assert.deepEqual(
      rows.map((r) => col(r, 'status')),
      ['keep', 'keep', 'size_blocked', 'illegal_edit', 'discard', 'crash', 'keep'],
    );
    assert.deepEqual(
      rows.map((r) => col(r, 'parent_exp')),
      ['', 'exp_000', 'exp_001', 'exp_001', 'exp_001', 'exp_001', 'exp_001'],
    );
    assert.deepEqual(
      rows.map((r) => col(r, 'loss')),
      ['4', '0.25', '', '', '1', '', '0'],
    );
    assert.equal(col(rows[1]!, 'delta_vs_best'), '-3.75');
    assert.equal(col(rows[1]!, 'hypothesis'), 'move X <toward> 1 & "see"\tthen\nstop', 'tabs and newlines survive (quoted)');
    assert.equal(col(rows[6]!, 'job_name'), trialId(campaignId, 6));
    assert.ok(Number(col(rows[1]!, 'train_s')) > 0);
    for (const r of rows) assert.equal(r.cells.length, header!.cells.length, `row ${col(r, 'exp_id')} has every column`);

    const tree = parseTsv(readFileSync(path.join(dir, 'tree.tsv'), 'utf8'), 'tree.tsv').slice(1);
    // Preorder: the baseline, then #1 and its whole subtree (every later trial grew from #1).
    assert.deepEqual(
      tree.map((r) => col(r, 'exp_id')),
      ['exp_000', 'exp_001', 'exp_002', 'exp_003', 'exp_004', 'exp_005', 'exp_006'],
    );
  });

  it('import reads the export back into another campaign with the same rows, and the report draws it', async () => {
    const dir = path.join(tmp, 'export');
    const copy = uniqueId('imported');
    const { stdout } = await lineage('import', path.join(dir, 'results.tsv'), '--campaign', copy, '--task', 'toy', '--direction', 'minimize');
    assert.match(stdout, new RegExp(`imported 7 trials into campaign ${copy} \\(metric loss, minimize\\)`));
    const again = path.join(tmp, 'again');
    await lineage('export', copy, '--out', again);
    const read = (d: string, f: string) => parseTsv(readFileSync(path.join(d, f), 'utf8'), f);
    const [header, ...a] = read(dir, 'results.tsv');
    const [, ...b] = read(again, 'results.tsv');
    const job = header!.cells.indexOf('job_name');
    assert.deepEqual(
      b.map((r) => r.cells[job]),
      a.map((r) => r.cells[job]!.replace(campaignId, copy)),
      "job names are the new campaign's trials",
    );
    const without = (rows: typeof a) => rows.map((r) => r.cells.filter((_, i) => i !== job));
    assert.deepEqual(without(b), without(a));
    assert.deepEqual(without(read(again, 'tree.tsv').slice(1)), without(read(dir, 'tree.tsv').slice(1)));
    const campaign = await h.deps.store.campaigns.findOne({ _id: copy });
    assert.equal(campaign!.best!.index, 6);
    assert.equal(campaign!.baseline!.score, 4);
    const { stdout: rep } = await lineage('report', copy, '--out', path.join(tmp, 'imported.html'));
    assert.match(rep, /7 trials/);
  });

  it('import skips a malformed row naming its line; --strict refuses it and writes nothing', async () => {
    const good = readFileSync(path.join(tmp, 'export', 'results.tsv'), 'utf8');
    const lines = good.split('\n');
    const header = lines[0]!.split('\t');
    const broken = lines.map((l) => {
      if (!l.startsWith('exp_004\t')) return l;
      const cells = l.split('\t');
      cells[header.indexOf('loss')] = 'fast';
      return cells.join('\t');
    });
    const file = path.join(tmp, 'broken.tsv');
    writeFileSync(file, broken.join('\n'));
    const skipping = uniqueId('skipping');
    const lenient = await lineage('import', file, '--campaign', skipping, '--task', 'toy', '--direction', 'minimize');
    // Header, exp_000, exp_001 (two lines: its hypothesis holds a newline), exp_002, exp_003, then exp_004 on line 7.
    assert.match(lenient.stderr, /^skipped: broken\.tsv line 7, column loss: "fast" is not a number; row skipped$/m);
    assert.match(lenient.stdout, /imported 6 trials into campaign .* 0 rows recovered, 1 skipped/);
    assert.deepEqual(
      (await h.deps.store.trials.find({ campaignId: skipping }).sort({ index: 1 }).toArray()).map((t) => t.index),
      [0, 1, 2, 3, 5, 6],
    );

    const id = uniqueId('broken');
    const err = await lineage('import', file, '--campaign', id, '--task', 'toy', '--direction', 'minimize', '--strict').then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    assert.ok(err, 'import --strict must fail');
    assert.equal(err.code, 1);
    assert.match(err.stderr, /broken\.tsv line 7, column loss: "fast" is not a number \(--strict/);
    assert.equal(await h.deps.store.trials.countDocuments({ campaignId: id }), 0);
    assert.equal(await h.deps.store.campaigns.countDocuments({ _id: id }), 0);

    writeFileSync(file, good.replace('\tkeep\t', '\tkept\t'));
    const bad = await lineage('import', file, '--campaign', id, '--task', 'toy', '--direction', 'minimize', '--strict').then(
      () => null,
      (e: { stderr: string }) => e,
    );
    assert.match(bad!.stderr, /broken\.tsv line 2, column status: "kept" is not a label \(one of keep, discard/);
  });

  it('compare reads a live campaign and its imported copy', async () => {
    const copies = await h.deps.store.campaigns.find({ importedFrom: path.join(tmp, 'export', 'results.tsv') }).toArray();
    assert.ok(copies.length >= 1, 'the round-trip import ran first');
    const { stdout } = await lineage('compare', campaignId, copies[0]!._id, '--out', path.join(tmp, 'compare.html'));
    const row = (name: string) =>
      stdout
        .split('\n')
        .find((l) => l.startsWith(name))
        ?.split(/\s{2,}/)
        .slice(1);
    assert.deepEqual(
      row('arm')?.map((a) => a.split(' ')[0]),
      ['replay,', 'imported'],
      'the live campaign says its proposer (this test replays proposals)',
    );
    assert.deepEqual(row('best '), ['0 (exp_006)', '0 (exp_006)']);
    assert.deepEqual(row('keeps'), ['2', '2']);
    assert.deepEqual(row('trials to first keep'), ['1', '1']);
    assert.deepEqual(row('tokens per keep'), ['0', '— (not recorded)'], 'a replay campaign records zero tokens; the import had none to read');
  });

  it("the Temporal UI shows a finished trial's stages and label", async function () {
    const ui = process.env.LINEAGE_TEST_UI_URL;
    assert.ok(ui, 'scripts/test.mjs sets LINEAGE_TEST_UI_URL');
    const id = trialId(campaignId, 6);
    const page = await browser.newPage({ viewport: { width: 1600, height: 1200 } });
    await page.goto(`${ui}/namespaces/default/workflows/${id}`);
    await page.waitForSelector(`text=${id}`, { timeout: 30_000 });
    const text = async () => page.locator('body').innerText();
    // The Event History tab lists every event; each scheduled activity shows "Activity Type <name>".
    await page.getByText('Event History').first().click();
    await page.getByText('Activity Task Scheduled').first().waitFor({ timeout: 30_000 });
    const history = await text();
    const scheduled = [...history.matchAll(/Activity Type\s+(\S+)/g)].map((m) => m[1]!);
    // Newest first: the stages of one trial, in reverse.
    assert.deepEqual([...new Set(scheduled)].reverse(), ['propose', 'apply', 'preflight', 'train', 'evaluate', 'judge', 'record'], history.slice(0, 4000));
    const historyShot = artifactPath(`temporal-ui-history-${id}.png`);
    await page.screenshot({ path: historyShot, fullPage: true });
    console.log(`      screenshot: ${historyShot}`);
    await page.getByText('Search Attributes', { exact: true }).first().click();
    await page
      .getByText('LineageLabel')
      .first()
      .waitFor({ timeout: 10_000 })
      .catch(async () => assert.fail(`no LineageLabel after opening Search Attributes:\n${(await text()).slice(0, 4000)}`));
    const shot = artifactPath(`temporal-ui-search-attributes-${id}.png`);
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`      screenshot: ${shot}`);
    assert.match(await text(), /"LineageLabel": "keep"/);
    await page.getByText('Memo', { exact: true }).first().click();
    await page.getByText('"hypothesis"').first().waitFor({ timeout: 10_000 });
    assert.match(await text(), /"hypothesis": "X = 1\.5 {2}# the parameter being tuned -> X = 1\.0 {2}# the parameter being tuned"/);
    await page.close();
  });
});
