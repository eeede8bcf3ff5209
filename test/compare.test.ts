// `lineage import` and `lineage compare` from the CLI against the real MongoDB-wire server, on a
// lineage-on / lineage-off pair of fixtures in the paper's released format; the compare page is
// checked in headless chromium.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { uniqueId } from './support/harness.js';
import { artifactPath, collectErrors, launchChromium } from './support/browser.js';
import { repoRoot } from '../src/task/spec.js';

const run = promisify(execFile);
const CLI = path.join(repoRoot(), 'dist/src/cli/main.js');
const lineage = (...args: string[]) => run(process.execPath, [CLI, ...args], { env: process.env, maxBuffer: 64 << 20 });
const fixture = (name: string) => path.join(repoRoot(), 'test/fixtures/released', name);

describe("compare: the paper's lineage-on vs lineage-off pair, imported", function () {
  let browser: Browser;
  const on = uniqueId('lineage-on');
  const off = uniqueId('lineage-off');
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'lineage-compare-'));

  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  it('import prints per-label counts and the best score of each run', async () => {
    const a = await lineage('import', fixture('pg-lineage-on.results.tsv'), '--campaign', on, '--task', 'parameter-golf', '--direction', 'minimize');
    assert.match(
      a.stdout,
      new RegExp(`imported 11 trials into campaign ${on} \\(metric val_bpb, minimize\\) from pg-lineage-on\\.results\\.tsv: 0 rows recovered, 0 skipped`),
    );
    assert.match(a.stdout, /^labels: keep 5 · discard 3 · crash 1 · eval_budget_overrun 1 · size_blocked 1$/m);
    assert.match(a.stdout, /mapped from the file's statuses: baseline → keep 1/);
    assert.match(a.stdout, /baseline val_bpb 1\.081 \(exp_000\) · best val_bpb 1\.076 \(exp_010\) · 4 keeps after the baseline/);
    const b = await lineage('import', fixture('pg-lineage-off.results.tsv'), '--campaign', off, '--task', 'parameter-golf', '--direction', 'minimize');
    assert.match(b.stdout, /best val_bpb 1\.0795 \(exp_006\) · 1 keeps after the baseline/);
  });

  it('import of the quirky fixture warns per line on stderr; --strict refuses it', async () => {
    const id = uniqueId('quirks');
    const r = await lineage(
      'import',
      fixture('pg-quirks.results.tsv'),
      '--campaign',
      id,
      '--task',
      'parameter-golf',
      '--direction',
      'minimize',
      '--tree',
      fixture('pg-quirks.tree.tsv'),
    );
    assert.match(r.stdout, /imported 8 trials .*: 5 rows recovered, 4 skipped/);
    assert.match(r.stdout, /mapped from the file's statuses: baseline → keep 1 · harness_abort → infra_error 1/);
    assert.match(r.stderr, /^skipped: pg-quirks\.results\.tsv line 8: /m);
    assert.match(r.stderr, /^recovered: pg-quirks\.results\.tsv line 5 \(exp 003\): split 11 space-joined columns/m);
    assert.match(r.stderr, /^tree: pg-quirks\.tree\.tsv: 8 of 8 trials checked; parents agree$/m);
    const strict = await lineage(
      'import',
      fixture('pg-quirks.results.tsv'),
      '--campaign',
      uniqueId('strict'),
      '--task',
      'parameter-golf',
      '--direction',
      'minimize',
      '--strict',
    ).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    assert.equal(strict?.code, 1);
    assert.match(strict!.stderr, /line 4 \(exp 002\): needs repair/);
  });

  it('compare prints the ablation table and writes one page that chromium renders with the chart', async () => {
    const out = path.join(tmp, 'compare.html');
    const { stdout } = await lineage('compare', on, off, '--out', out);
    const row = (name: string) =>
      stdout
        .split('\n')
        .find((l) => l.startsWith(name))
        ?.split(/\s{2,}/)
        .slice(1);
    assert.deepEqual(row('best '), ['1.076 (exp_010)', '1.0795 (exp_006)']);
    assert.deepEqual(row('relative gain'), ['-0.463%', '-0.139%']);
    assert.deepEqual(row('keeps'), ['4', '1']);
    assert.deepEqual(row('trials to first keep'), ['2', '6']);
    assert.deepEqual(row('GPU hours'), ['3.26', '2.91']);
    assert.deepEqual(row('tokens per keep'), ['— (not recorded)', '— (not recorded)']);
    assert.deepEqual(row('  eval_budget_overrun')?.slice(1), ['1 (10.0%)', '4 (40.0%)'], 'label rows are indented under "label mix"');
    assert.match(stdout, /wrote .*compare\.html \(2 campaigns/);

    const html = readFileSync(out, 'utf8');
    assert.doesNotMatch(html, /<script|<link|src="http|href="http|@import|url\(http/i, 'nothing fetched from elsewhere');
    const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
    const errors = collectErrors(page);
    await page.goto(`file://${out}`);
    // Two campaigns, two panels (by trial, by GPU hours): four best-so-far lines.
    assert.equal(await page.locator('#compare-chart svg .mark-line.role-mark path').count(), 4);
    assert.ok((await page.locator('#compare-chart svg .mark-symbol.role-mark path').count()) >= 2 * (5 + 2), 'a point per new best, per panel');
    assert.ok((await page.locator('#label-mix-chart svg .mark-rect.role-mark path').count()) > 0);
    assert.match(await page.locator('table.compare').innerText(), /relative gain\s+-0\.463%\s+-0\.139%/);
    const shot = artifactPath(`compare-${on}.png`);
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`      screenshot: ${shot}`);
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('compare names a campaign that does not exist', async () => {
    const err = await lineage('compare', on, 'no-such-campaign', '--out', path.join(tmp, 'x.html')).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    assert.equal(err?.code, 1);
    assert.match(err!.stderr, /lineage: no campaign "no-such-campaign" in MongoDB database/);
  });
});
