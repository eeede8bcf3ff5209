// The fault suite (`npm run faults`): one clean campaign, then the same campaign (same task, seed
// and budget, parallelism 1 so order is fixed) under each scenario's faults, on the real services.
// Oracle per scenario: every trial index recorded exactly once, run by one trial workflow, no
// infra_error, and the same label, hypothesis and score as the clean run.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { Store } from '../../src/store/db.js';
import { CONTROL_QUEUE } from '../../src/ids.js';
import { SA } from '../../src/searchAttributes.js';
import { repoRoot } from '../../src/task/spec.js';
import { liveStatus } from '../../src/cli/status.js';
import type { CampaignInput, CampaignStatus, TrialRecord } from '../../src/types.js';
import { mulberry32 } from '../../src/proposers/offline.js';
import { Services, Workers, type WorkerSpec } from './processes.js';
import { SCENARIOS, type Scenario } from './scenarios.js';

export const FAULT_TASK = path.join(repoRoot(), 'test/fixtures/tasks/toy-faults');

export interface Outcome {
  index: number;
  label: string;
  score: number | null;
  hypothesis: string;
}

export interface ScenarioResult {
  scenario: string;
  faults: string[];
  trials: number;
  lost: number;
  duplicated: number;
  mismatched: number;
  infraErrors: number;
  wallS: number;
  /** Stages recorded with attempt > 1: retried in place, not run as new trials. */
  retriedStages: string[];
  notes: string[];
}

/** What a scenario's fault script can see and strike. */
export class Run {
  done = false;
  readonly notes: string[] = [];
  constructor(
    readonly suite: Suite,
    readonly campaignId: string,
    readonly rng: () => number,
  ) {}

  get workers(): Workers {
    return this.suite.workers!;
  }
  get services(): Services {
    return this.suite.services;
  }

  /** The campaign's status query (stages read from the trials), or null while Temporal or the control worker is away. */
  async status(): Promise<CampaignStatus | null> {
    try {
      return (await liveStatus(this.suite.client, this.campaignId)).status;
    } catch {
      return null;
    }
  }

  async stage(): Promise<{ index: number; stage: string } | null> {
    const t = (await this.status())?.inFlight[0];
    return t ? { index: t.index, stage: t.stage } : null;
  }

  /** Waits until an in-flight trial is in one of `stages` (polling every `everyMs`); null if the campaign ends first. */
  async waitForStage(stages: string[], everyMs = 100, fromIndex = 0): Promise<{ index: number; stage: string } | null> {
    while (!this.done) {
      const s = await this.stage();
      if (s && s.index >= fromIndex && stages.includes(s.stage)) return s;
      await sleep(everyMs);
    }
    return null;
  }

  /** Waits until a slot is really running the trial's train (its log moving), not merely waiting to be retried. */
  async waitForActiveTrain(workerHome: string): Promise<{ index: number; stage: string } | null> {
    const { statSync } = await import('node:fs');
    while (!this.done) {
      const s = await this.stage();
      if (s?.stage === 'train') {
        const log = path.join(workerHome, 'logs', this.campaignId, `${this.campaignId}-trial-${String(s.index).padStart(4, '0')}.train.log`);
        try {
          if (Date.now() - statSync(log).mtimeMs < 700) return s;
        } catch {
          // not started yet
        }
      }
      await sleep(100);
    }
    return null;
  }

  /** Starts the `lineage` CLI as a user would, e.g. `status <id>`; its output. */
  lineage(...args: string[]): string {
    try {
      return execFileSync(process.execPath, [path.join(repoRoot(), 'dist/src/cli/main.js'), ...args], {
        env: this.suite.env,
        encoding: 'utf8',
        timeout: 30_000,
      });
    } catch (err) {
      return `(lineage ${args.join(' ')} failed: ${(err as Error).message.split('\n')[0]})`;
    }
  }
}

export interface SuiteOptions {
  stateDir: string;
  trials: number;
  seed: number;
  log: (line: string) => void;
}

export class Suite {
  workers: Workers | null = null;
  env: NodeJS.ProcessEnv = {};
  private constructor(
    readonly o: SuiteOptions,
    readonly services: Services,
    readonly client: Client,
    readonly store: Store,
  ) {}

  static async start(o: SuiteOptions): Promise<Suite> {
    rmSync(o.stateDir, { recursive: true, force: true });
    mkdirSync(o.stateDir, { recursive: true });
    const services = await Services.start(path.join(o.stateDir, 'services'));
    const db = `lineage_faults_${Date.now().toString(36)}`;
    const connection = await Connection.connect({ address: services.temporalAddress });
    const store = await Store.connect(services.mongoUri, db);
    const suite = new Suite(o, services, new Client({ connection }), store);
    // The suite's own Web UI: `lineage status` must not read an outer TEMPORAL_UI_URL's server.
    suite.env = {
      ...process.env,
      TEMPORAL_ADDRESS: services.temporalAddress,
      TEMPORAL_UI_URL: `http://127.0.0.1:${services.ports.ui}`,
      MONGODB_URI: services.mongoUri,
      LINEAGE_DB: db,
    };
    o.log(`services: Temporal ${services.temporalAddress}, MongoDB ${services.mongoUri} (database ${db}); state in ${o.stateDir}`);
    return suite;
  }

  home(name: string): string {
    return path.join(this.o.stateDir, 'hosts', name);
  }

  /** The default workers of a run: one control worker, one GPU worker with one CPU slot. */
  workerSpecs(): Record<string, WorkerSpec> {
    return {
      control: { kind: 'control', host: 'control-host', home: this.home('control-host') },
      'gpu-a': { kind: 'gpu', host: 'host-a', home: this.home('host-a') },
    };
  }

  input(campaignId: string): CampaignInput {
    return { campaignId, task: FAULT_TASK, budget: { trials: this.o.trials }, parallelism: 1, proposer: { kind: 'offline' }, seed: this.o.seed };
  }

  /** Runs one campaign while `fault` strikes it; returns its outcomes, wall time and faults. */
  async runCampaign(
    label: string,
    scenario: Scenario | null,
  ): Promise<{ outcomes: Outcome[]; wallS: number; faults: string[]; run: Run; records: TrialRecord[] }> {
    const campaignId = `faults-${label}-${Date.now().toString(36)}`;
    const workers = new Workers(this.env, path.join(this.o.stateDir, 'worker-logs', label));
    this.workers = workers;
    const run = new Run(this, campaignId, mulberry32(this.o.seed * 7919 + label.length));
    const specs = this.workerSpecs();
    await scenario?.before?.(run, specs);
    for (const [name, spec] of Object.entries(specs)) workers.start(name, spec);
    const t0 = Date.now();
    await this.client.workflow.start('campaign', { workflowId: campaignId, taskQueue: CONTROL_QUEUE, args: [this.input(campaignId)] });
    const faults = scenario ? scenario.strike(run, specs).catch((err: Error) => [`fault script failed: ${err.message}`]) : Promise.resolve([]);
    await this.waitClosed(campaignId, 40 * 60_000);
    const wallS = (Date.now() - t0) / 1000;
    run.done = true;
    const injected = await faults;
    await workers.stopAll();
    await scenario?.after?.(run, specs);
    const records = await this.store.trials.find({ campaignId }).sort({ index: 1 }).toArray();
    return {
      outcomes: records.map((r) => ({ index: r.index, label: r.label, score: r.score, hypothesis: r.hypothesis })),
      wallS,
      faults: injected,
      run,
      records,
    };
  }

  /** Polls until the workflow closes, riding out a Temporal server that is down. */
  private async waitClosed(workflowId: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      try {
        const d = await this.client.workflow.getHandle(workflowId).describe();
        if (d.status.name !== 'RUNNING') {
          if (d.status.name !== 'COMPLETED') throw new Error(`campaign ${workflowId} ended ${d.status.name}`);
          return;
        }
      } catch (err) {
        if ((err as Error).message.startsWith('campaign ')) throw err;
      }
      await sleep(1000);
    }
    throw new Error(`campaign ${workflowId} did not finish within ${timeoutMs / 60_000} min`);
  }

  /** Trial workflow runs per index, from Temporal's visibility: more than one means a trial was started again. */
  async trialRunsByIndex(campaignId: string): Promise<Map<number, number>> {
    const runs = new Map<number, number>();
    for await (const wf of this.client.workflow.list({ query: `${SA.campaign.name} = "${campaignId}" AND WorkflowType = "trial"` })) {
      const index = Number(/-trial-(\d+)$/.exec(wf.workflowId)?.[1]);
      runs.set(index, (runs.get(index) ?? 0) + 1);
    }
    return runs;
  }

  async judge(name: string, clean: Outcome[], r: Awaited<ReturnType<Suite['runCampaign']>>): Promise<ScenarioResult> {
    const expected = clean.map((o) => o.index);
    const byIndex = new Map<number, Outcome[]>();
    for (const o of r.outcomes) byIndex.set(o.index, [...(byIndex.get(o.index) ?? []), o]);
    const runs = await this.trialRunsByIndex(r.run.campaignId);
    const lost = expected.filter((i) => !byIndex.has(i)).length;
    const duplicated =
      expected.filter((i) => (byIndex.get(i)?.length ?? 0) > 1 || (runs.get(i) ?? 0) > 1).length + r.outcomes.filter((o) => !expected.includes(o.index)).length;
    const same = (a: Outcome, b: Outcome) => a.label === b.label && a.score === b.score && a.hypothesis === b.hypothesis;
    const mismatched = clean.filter((c) => {
      const got = byIndex.get(c.index)?.[0];
      return got !== undefined && !same(c, got);
    }).length;
    const retriedStages = r.records.flatMap((t) =>
      (t.stages ?? []).filter((s) => (s.attempt ?? 1) > 1).map((s) => `#${t.index} ${s.stage} attempt ${s.attempt}`),
    );
    return {
      scenario: name,
      faults: r.faults,
      trials: r.outcomes.length,
      lost,
      duplicated,
      mismatched,
      infraErrors: r.outcomes.filter((o) => o.label === 'infra_error').length,
      wallS: r.wallS,
      retriedStages,
      notes: r.run.notes,
    };
  }

  async stop(): Promise<void> {
    await this.workers?.stopAll();
    await this.store.close().catch(() => undefined);
    await this.client.connection.close().catch(() => undefined);
    await this.services.stop();
  }
}

export function passed(r: ScenarioResult): boolean {
  return r.lost === 0 && r.duplicated === 0 && r.mismatched === 0 && r.infraErrors === 0 && !r.faults.some((f) => f.startsWith('fault script failed'));
}

export function table(clean: { wallS: number; trials: number }, results: ScenarioResult[]): string {
  const rows = [
    ['scenario', 'faults injected', 'trials', 'lost', 'duplicated', 'mismatched', 'infra_error', 'wall time', 'extra wall time'],
    ['clean', '0', String(clean.trials), '-', '-', '-', '-', `${clean.wallS.toFixed(0)} s`, '-'],
    ...results.map((r) => [
      r.scenario,
      String(r.faults.length),
      String(r.trials),
      String(r.lost),
      String(r.duplicated),
      String(r.mismatched),
      String(r.infraErrors),
      `${r.wallS.toFixed(0)} s`,
      `+${(r.wallS - clean.wallS).toFixed(0)} s`,
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: string[]) => `| ${row.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(rows[0]!), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
}

/** The scenarios whose names contain one of `only` (all when it is empty). */
export function chooseScenarios(only: string[], from = SCENARIOS): Scenario[] {
  const chosen = from.filter((s) => !only.length || only.some((n) => s.name.includes(n)));
  if (!chosen.length) throw new Error(`no scenario matches ${only.join(', ')}; scenarios: ${from.map((s) => s.name).join(', ')}`);
  return chosen;
}

/** Runs the clean campaign, then each scenario; ok when every oracle holds. */
export async function runSuite(
  o: SuiteOptions & { scenarios: Scenario[] },
): Promise<{ ok: boolean; results: ScenarioResult[]; clean: { wallS: number; trials: number } }> {
  const chosen = o.scenarios;
  const suite = await Suite.start(o);
  try {
    o.log(`clean run: ${o.trials} trials + baseline of ${path.basename(FAULT_TASK)}, seed ${o.seed}, parallelism 1`);
    const cleanRun = await suite.runCampaign('clean', null);
    const clean = { wallS: cleanRun.wallS, trials: cleanRun.outcomes.length };
    const bad = cleanRun.outcomes.filter((x) => x.label === 'infra_error');
    if (cleanRun.outcomes.length !== o.trials + 1 || bad.length) throw new Error(`the clean run is not clean: ${JSON.stringify(cleanRun.outcomes)}`);
    o.log(`clean run: ${clean.wallS.toFixed(1)} s; labels ${cleanRun.outcomes.map((x) => `#${x.index} ${x.label} ${x.score}`).join(', ')}`);
    const results: ScenarioResult[] = [];
    for (const s of chosen) {
      o.log(`scenario ${s.name}: ${s.description}`);
      const r = await suite.judge(s.name, cleanRun.outcomes, await suite.runCampaign(s.name, s));
      results.push(r);
      o.log(`  ${passed(r) ? 'ok  ' : 'FAIL'} ${r.wallS.toFixed(1)} s; faults: ${r.faults.join('; ')}`);
      if (r.retriedStages.length) o.log(`  retried stages: ${r.retriedStages.join(', ')}`);
      for (const n of r.notes) o.log(`  ${n.split('\n').join('\n  ')}`);
      if (!passed(r)) o.log(`  lost ${r.lost}, duplicated ${r.duplicated}, mismatched ${r.mismatched}, infra_error ${r.infraErrors}`);
    }
    return { ok: results.every(passed), results, clean };
  } finally {
    await suite.stop();
  }
}
