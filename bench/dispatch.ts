// Do GPUs wait for an LLM? Real campaigns on the real services and workers, with simulated slots:
// the task is the toy fixture's evaluator with a recipe of eight independent knobs (each on a line
// of its own, so edits to different knobs merge) and a train that sleeps `trainS` seconds; the Claude proposer
// (two model calls per proposal: read a file, submit) talks to a local Messages API stand-in
// whose every reply takes `latency` × trainS / 2, so a proposal costs that share of a train.
// Side by side: the old scheduling (parallelism = slots, no rebase) and the new default (slots,
// one proposal ready per slot, rebase at dispatch). Then scale: trials per minute at 1, 8 and 64
// slots with the offline proposer.
import { chmodSync, cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { createSlotWorkers } from '../src/workerHost.js';
import { cpuSlots } from '../src/runner/slot.js';
import { repoRoot } from '../src/task/spec.js';
import { CONTROL_QUEUE } from '../src/ids.js';
import type { StageDeps } from '../src/stageDeps.js';
import type { CampaignInput, TrialRecord } from '../src/types.js';
import { mulberry32 } from '../src/proposers/offline.js';
import { startFakeAnthropic, toolResults, type Brain } from '../test/support/fakeAnthropic.js';

export interface DispatchBenchOptions {
  trainS: number;
  /** Trials per slot in each scheduling run. */
  rounds: number;
  slotCounts: number[];
  latencies: number[];
  /** Share of proposals the stand-in model makes better (each keep makes every waiting proposal stale). */
  keepRates: number[];
  scaleSlots: number[];
  scaleTrainS: number;
  scaleRounds: number;
}

export const KNOBS = 8;

/** The knobs, for the offline proposer: P0..P7, owned in turn by opt and arch. */
const sleepyKnobs = () =>
  [
    'knobs:',
    ...Array.from(
      { length: KNOBS },
      (_, i) => `  - { name: P${i}, specialist: ${i % 2 ? 'arch' : 'opt'}, file: train.py, type: float, min: -5, max: 5, step: 0.25 }`,
    ),
  ].join('\n') + '\n';

/** The toy fixture's evaluator and roster; a recipe whose loss is the sum of (Pi - 1)^2 over eight knobs, trained by sleeping `trainS` seconds. */
function sleepyTask(trainS: number): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lineage-sleepy-'));
  chmodSync(dir, 0o755); // the sandboxed trial user reads the evaluator and recipe from here
  cpSync(path.join(repoRoot(), 'test/fixtures/tasks/toy'), dir, { recursive: true });
  const spec = path.join(dir, 'task.yaml');
  writeFileSync(
    spec,
    readFileSync(spec, 'utf8')
      .replace(/^name: toy$/m, 'name: sleepy')
      .replace(/budget_s: 4, grace_s: 1/, `budget_s: ${Math.ceil(trainS * 2 + 10)}, grace_s: 5`)
      .replace(/^knobs:[\s\S]*$/m, sleepyKnobs()),
  );
  const knobs = Array.from({ length: KNOBS }, (_, i) => `P${i} = 3.0`).join('\n\n');
  writeFileSync(
    path.join(dir, 'recipe/train.py'),
    `import json, os, time

# Eight independent knobs, a paragraph each: git merges edits to two different ones.
${knobs}

SIZE = 1000  # artifact bytes
SLEEP_S = ${trainS}  # stands for training time

time.sleep(SLEEP_S)
loss = sum((p - 1.0) ** 2 for p in (${Array.from({ length: KNOBS }, (_, i) => `P${i}`).join(', ')}))
with open(os.path.join(os.environ["LINEAGE_RUN_DIR"], "artifact.bin"), "wb") as f:
    head = json.dumps({"x": 1.0 + loss ** 0.5}).encode()
    f.write(head + b"\\n" + b"\\0" * max(0, SIZE - len(head) - 1))
`,
  );
  return dir;
}

/** Reads train.py, then moves one knob (chosen at random) toward its optimum 1 with probability `keepRate` (a keep), else away from it (a discard). */
function randomWalker(keepRate: number): Brain {
  const rand = mulberry32(7);
  return (req) => {
    if (!req.tools) return { text: '- key insight: none' };
    const file = toolResults(req).find((r) => r.name === 'read_file' && !r.isError);
    if (!file) return { toolUses: [{ name: 'read_file', input: { path: 'train.py' } }] };
    const knob = `P${Math.floor(rand() * KNOBS)}`;
    const m = new RegExp(`^${knob} = (-?[\\d.]+)`, 'm').exec(file.content)!;
    const factor = rand() < keepRate ? 0.5 + 0.4 * rand() : 1.05 + rand();
    const next = (1 + (Number(m[1]) - 1) * factor).toFixed(6);
    return {
      toolUses: [
        {
          name: 'submit_proposal',
          input: {
            hypothesis: `move ${knob} from ${m[1]} to ${next}`,
            expected_delta: -0.1,
            edits: [{ file: 'train.py', search: m[0], replace: `${knob} = ${next}` }],
          },
        },
      ],
    };
  };
}

const quantile = (xs: number[], q: number) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

interface Measured {
  busy: number;
  gapP50: number;
  gapP99: number;
  staleShare: number;
  rebased: number;
  overheadS: number;
  proposeS: number;
  eventsPerTrial: number;
  trialsPerMin: number;
  labels: string;
  eventTypes: string;
}

/** The slot-side figures of a finished campaign, from its trial documents and its history. */
async function measure(client: Client, deps: StageDeps, campaignId: string, slots: number): Promise<Measured> {
  const docs = (await deps.store.trials.find({ campaignId }).sort({ index: 1 }).toArray()) as unknown as TrialRecord[];
  const trials = docs.filter((d) => d.index > 0);
  // Each slot's holds (train, then its evaluate), on the slot's own clock.
  const holds = new Map<string, { start: number; end: number; train: boolean }[]>();
  for (const d of trials) {
    const slot = d.train?.slot;
    if (!slot) continue;
    for (const s of d.stages) {
      if ((s.stage !== 'train' && s.stage !== 'evaluate') || !s.slotStartMs) continue;
      holds.set(slot, [...(holds.get(slot) ?? []), { start: s.slotStartMs, end: s.slotEndMs!, train: s.stage === 'train' }]);
    }
  }
  // While there was work to dispatch: from the first trial's train to the last trial's train
  // start (after it, slots go idle because the budget is spent, not because a proposal is late).
  const all = [...holds.values()].flat();
  const t0 = Math.min(...all.map((h) => h.start));
  const t1 = Math.max(...all.filter((h) => h.train).map((h) => h.start));
  const held = all.reduce((a, h) => a + Math.max(0, Math.min(h.end, t1) - Math.max(h.start, t0)), 0);
  const gaps: number[] = [];
  for (const hs of holds.values()) {
    hs.sort((a, b) => a.start - b.start);
    for (let i = 1; i < hs.length; i++) if (hs[i]!.train) gaps.push((hs[i]!.start - hs[i - 1]!.end) / 1000);
  }
  const trained = trials.filter((d) => d.train);
  const stale = trained.filter((d) => d.train!.bestAtStart && d.train!.bestAtStart.sha !== d.parentSha);
  const sum = (d: TrialRecord, pick: (stage: string) => boolean) => d.stages.filter((s) => pick(s.stage)).reduce((a, s) => a + s.seconds, 0);
  const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / Math.max(1, xs.length);
  const history = (await client.workflow.getHandle(campaignId).fetchHistory()).events ?? [];
  const events = history.length;
  const byType = new Map<string, number>();
  for (const e of history) byType.set(String(e.eventType), (byType.get(String(e.eventType)) ?? 0) + 1);
  const labels: Record<string, number> = {};
  for (const d of trials) labels[d.label] = (labels[d.label] ?? 0) + 1;
  return {
    busy: held / (slots * (t1 - t0)),
    gapP50: quantile(gaps, 0.5),
    gapP99: quantile(gaps, 0.99),
    staleShare: stale.length / Math.max(1, trained.length),
    rebased: trials.filter((d) => d.rebases?.length).length,
    overheadS: mean(trials.map((d) => sum(d, (s) => s !== 'train' && s !== 'evaluate'))),
    proposeS: mean(trials.map((d) => sum(d, (s) => s === 'propose'))),
    eventsPerTrial: events / docs.length,
    trialsPerMin: trained.length / ((Math.max(...all.map((h) => h.end)) - t0) / 60_000),
    eventTypes: [...byType]
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k}:${v}`)
      .join(' '),
    labels: Object.entries(labels)
      .map(([k, n]) => `${k} ${n}`)
      .join(', '),
  };
}

export async function benchDispatch(
  deps: StageDeps,
  connection: NativeConnection,
  client: Client,
  o: DispatchBenchOptions,
  log: (line: string) => void,
): Promise<string[]> {
  const fake = await startFakeAnthropic(randomWalker(o.keepRates[0]!));
  process.env.ANTHROPIC_BASE_URL = fake.url;
  process.env.ANTHROPIC_API_KEY = 'sk-ant-bench-stand-in';
  const stamp = Date.now().toString(36);
  let n = 0;
  const campaign = async (task: string, slots: number, input: Partial<CampaignInput>): Promise<Measured> => {
    log(`  ${slots} slots: ${JSON.stringify({ ...input, proposer: input.proposer?.kind })}`);
    const workers: Worker[] = await createSlotWorkers(deps, connection, cpuSlots(slots, 1));
    const running = Promise.all(workers.map((w) => w.run()));
    try {
      const campaignId = `bench-dispatch-${stamp}-${++n}`;
      // opt and arch own train.py, where the stand-in model writes its edit.
      const args: CampaignInput = {
        campaignId,
        task,
        budget: { trials: slots },
        proposer: { kind: 'offline' },
        seed: 1,
        specialists: ['opt', 'arch'],
        ...input,
      };
      await (await client.workflow.start('campaign', { workflowId: campaignId, taskQueue: CONTROL_QUEUE, args: [args] })).result();
      const m = await measure(client, deps, campaignId, slots);
      log(`  ${campaignId}: history ${m.eventTypes}`);
      return m;
    } finally {
      for (const w of workers) w.shutdown();
      await running;
    }
  };
  const out: string[] = [];
  try {
    const task = sleepyTask(o.trainS);
    out.push(
      `Dispatch: train sleeps ${o.trainS} s, ${o.rounds} trials per slot, Claude proposer (2 calls per proposal) against the stand-in`,
      '| slots | LLM latency (share of train) | keeps proposed | scheduling | busy fraction | gap p50 (s) | gap p99 (s) | trained on a stale parent | rebased | overhead per trial (s; propose) | campaign events per trial | labels |',
      '|---|---|---|---|---|---|---|---|---|---|---|---|',
    );
    const cases = o.slotCounts.flatMap((slots) => o.latencies.flatMap((latency) => o.keepRates.map((keepRate) => ({ slots, latency, keepRate }))));
    for (const { slots, latency, keepRate } of cases) {
      {
        fake.setLatency(Math.round((latency * o.trainS * 1000) / 2));
        for (const scheduling of ['old', 'new'] as const) {
          fake.setBrain(randomWalker(keepRate)); // the same random stream for both schedulings
          const input: Partial<CampaignInput> = {
            budget: { trials: slots * o.rounds },
            proposer: { kind: 'claude', metaEvery: 0 },
            ...(scheduling === 'old' ? { parallelism: slots, rebase: false } : { slots }),
          };
          const m = await campaign(task, slots, input);
          const what = scheduling === 'old' ? 'old: parallelism = slots' : 'new: slots, lookahead 1, rebase';
          const row = `| ${slots} | ${Math.round(latency * 100)} % | ${Math.round(keepRate * 100)} % | ${what} | ${m.busy.toFixed(3)} | ${m.gapP50.toFixed(3)} | ${m.gapP99.toFixed(3)} | ${(m.staleShare * 100).toFixed(0)} % | ${m.rebased} | ${m.overheadS.toFixed(2)} (${m.proposeS.toFixed(2)}) | ${m.eventsPerTrial.toFixed(1)} | ${m.labels} |`;
          log(row);
          out.push(row);
        }
      }
    }
    const scaleTask = sleepyTask(o.scaleTrainS);
    out.push(
      '',
      `Scale: train sleeps ${o.scaleTrainS} s, ${o.scaleRounds} trials per slot, offline proposer, the new default`,
      '| slots | trials per minute | × one slot | busy fraction | gap p50 (s) | campaign events per trial |',
      '|---|---|---|---|---|---|',
    );
    let one = NaN;
    for (const slots of o.scaleSlots) {
      const m = await campaign(scaleTask, slots, { budget: { trials: slots * o.scaleRounds }, slots });
      if (Number.isNaN(one)) one = m.trialsPerMin; // the first row is one slot
      const row = `| ${slots} | ${m.trialsPerMin.toFixed(1)} | ${(m.trialsPerMin / one).toFixed(1)} | ${m.busy.toFixed(3)} | ${m.gapP50.toFixed(3)} | ${m.eventsPerTrial.toFixed(1)} |`;
      log(row);
      out.push(row);
    }
    return out;
  } finally {
    await fake.close();
  }
}

/**
 * The orchestration alone: the real campaign and trial workflows on the dev server, with stand-in
 * activities that answer at once except train, which sleeps `trainS` seconds on one of `slots`
 * activity slots. Trials per minute against one slot show what Temporal and the workflow code
 * carry, apart from the recipe processes (which on a 2-core host compete for its cores).
 */
export async function benchOrchestration(
  temporalAddress: string,
  slotCounts: number[],
  trainS: number,
  rounds: number,
  log: (line: string) => void,
): Promise<string[]> {
  const { NativeConnection, Worker } = await import('@temporalio/worker');
  const { Client, Connection } = await import('@temporalio/client');
  const { installRuntime, workflowBundle } = await import('../src/workerHost.js');
  installRuntime();
  const { GPU_QUEUE } = await import('../src/ids.js');
  const { standInControl, standInSlot } = await import('../test/support/standInActivities.js');
  const connection = await NativeConnection.connect({ address: temporalAddress });
  const client = new Client({ connection: await Connection.connect({ address: temporalAddress }) });
  const out = [
    `Orchestration: stand-in activities, train sleeps ${trainS} s, ${rounds} trials per slot, the new default`,
    '| slots | trials per minute | × one slot | campaign events per trial |',
    '|---|---|---|---|',
  ];
  let one = NaN;
  try {
    for (const slots of slotCounts) {
      const sleepingSlot = {
        ...standInSlot,
        async train(req: Parameters<typeof standInSlot.train>[0]) {
          const { Context } = await import('@temporalio/activity');
          const beat = setInterval(() => Context.current().heartbeat(), 1000); // slot stages time out after 20 s without one
          try {
            await new Promise((r) => setTimeout(r, trainS * 1000));
          } finally {
            clearInterval(beat);
          }
          return standInSlot.train(req);
        },
      };
      const workers = [
        await Worker.create({
          connection,
          taskQueue: CONTROL_QUEUE,
          workflowBundle: await workflowBundle(),
          activities: standInControl,
          maxConcurrentActivityTaskExecutions: 256,
          maxCachedWorkflows: 1000,
        }),
        await Worker.create({ connection, taskQueue: GPU_QUEUE, activities: sleepingSlot, maxConcurrentActivityTaskExecutions: slots }),
      ];
      const running = Promise.all(workers.map((w) => w.run()));
      try {
        const campaignId = `bench-orchestration-${Date.now().toString(36)}-${slots}`;
        const trials = slots * rounds;
        const t0 = Date.now();
        const handle = await client.workflow.start('campaign', {
          workflowId: campaignId,
          taskQueue: CONTROL_QUEUE,
          args: [{ campaignId, task: 'stand-in', proposer: { kind: 'offline' }, budget: { trials }, slots } satisfies CampaignInput],
        });
        await handle.result();
        const perMin = trials / ((Date.now() - t0 - trainS * 1000) / 60_000); // less the baseline's train
        const events = (await handle.fetchHistory()).events?.length ?? 0;
        if (Number.isNaN(one)) one = perMin; // the first row is one slot
        const row = `| ${slots} | ${perMin.toFixed(1)} | ${(perMin / one).toFixed(1)} | ${(events / (trials + 1)).toFixed(1)} |`;
        log(row);
        out.push(row);
      } finally {
        for (const w of workers) w.shutdown();
        await running;
      }
    }
    return out;
  } finally {
    await client.connection.close();
    await connection.close();
  }
}
