// Headless Debian chromium driven by playwright-core, for the browser tests.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { repoRoot } from '../../src/task/spec.js';

const CHROMIUM = process.env.LINEAGE_CHROMIUM ?? '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no chromium at ${CHROMIUM}: apt-get install chromium (or set LINEAGE_CHROMIUM)`);
  // Root has no user namespace sandbox for chromium here.
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}

/** Console errors and uncaught page errors, collected from the moment the page opens. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
  page.on('pageerror', (e) => errors.push(String(e)));
  return errors;
}

/** Where test screenshots go: .lineage/test-artifacts/ (ignored by git), kept after the run. */
export function artifactPath(name: string): string {
  const dir = path.join(repoRoot(), '.lineage', 'test-artifacts');
  mkdirSync(dir, { recursive: true });
  return path.join(dir, name);
}
