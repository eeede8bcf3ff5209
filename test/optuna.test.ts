// No recipe trains twice, the Optuna proposer, and the hybrid arm, on the real services
// (Temporal, the MongoDB-wire server, CPU slots). The model is the one stand-in.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startHarness, startCampaign, uniqueId, knob, TOY_TASK, type Harness } from './support/harness.js';
import { startFakeAnthropic, firstUserText, toolResults, type FakeAnthropic } from './support/fakeAnthropic.js';
import Anthropic from '@anthropic-ai/sdk';
import { repoRoot, type LoadedTask } from '../src/task/spec.js';
import { propose } from '../src/proposers/propose.js';
import { claimTree } from '../src/stages/treeClaims.js';
import { loadSnapshot } from '../src/recipe/snapshot.js';
import { recipeTreeHash } from '../src/recipe/treeHash.js';
import { applyEdits } from '../src/recipe/edits.js';
import type { CampaignInput, ProposerConfig, TrialInput } from '../src/types.js';
import type { CampaignDoc, Store } from '../src/store/db.js';

const BOWL_TASK = path.join(repoRoot(), 'test/fixtures/tasks/bowl');

function recipeFiles(task: LoadedTask): Map<string, string> {
  return new Map(readdirSync(task.recipeDir).map((f) => [f, readFileSync(path.join(task.recipeDir, f), 'utf8')] as const));
}

/** A campaign document and its baseline snapshot, as setup writes them, for calling propose directly. */
async function seedCampaign(store: Store, task: LoadedTask, prefix: string) {
  const campaignId = uniqueId(prefix);
  const files = recipeFiles(task);
  const baselineSha = `baseline-${campaignId}`;
  await store.snapshots.insertOne({ _id: baselineSha, campaignId, files: [...files].map(([p, content]) => ({ path: p, content })) });
  const doc: CampaignDoc = {
    _id: campaignId,
    task: task.spec.name,
    preset: 'cpu',
    input: {} as CampaignInput,
    baselineSha,
    evaluatorHash: 'e',
    metric: task.spec.metric,
    createdAt: new Date().toISOString(),
    best: null,
    baseline: null,
  };
  await store.campaigns.insertOne(doc);
  return { campaignId, files, baselineSha };
}

function trialInput(campaignId: string, taskDir: string, parentSha: string, index: number, specialist: string, proposer: ProposerConfig, seed = 1): TrialInput {
  return {
    campaignId,
    task: taskDir,
    preset: 'cpu',
    index,
    specialist,
    parentSha,
    evaluatorHash: 'e',
    limits: { trainS: 10, evalS: 10, repeats: 1 },
    proposer,
    seed,
    startedAt: new Date().toISOString(),
  };
}

const setX = (files: Map<string, string>, x: string) => applyEdits(files, [{ file: 'train.py', search: 'X = 3.0', replace: `X = ${x}` }]);

describe('no duplicate trials, the optuna proposer and the hybrid arm', function () {
  let h: Harness;
  let fake: FakeAnthropic;
  before(async () => {
    fake = await startFakeAnthropic(() => ({ text: 'unused' }));
    h = await startHarness({ slots: 2 });
  });
  after(async () => {
    await h?.stop();
    await fake?.close();
  });

  it('lets exactly one of two trials claiming the same recipe at once have it', async () => {
    const toy = h.deps.task(TOY_TASK, 'cpu');
    const { campaignId, files } = await seedCampaign(h.deps.store, toy, 'claim-race');
    const same = setX(files, '2.0');
    const results = await Promise.all([1, 2, 3, 4].map((i) => claimTree(h.deps.store, campaignId, i, same)));
    const winners = results.filter((r) => r === null);
    assert.equal(winners.length, 1, `claims: ${JSON.stringify(results)}`);
    const winner = [1, 2, 3, 4][results.indexOf(null)]!;
    assert.deepEqual(
      results.filter((r) => r !== null),
      [winner, winner, winner],
    );
    // The winner's retry keeps its claim; the baseline is held by trial 0; a different recipe is free.
    assert.equal(await claimTree(h.deps.store, campaignId, winner, same), null);
    assert.equal(await claimTree(h.deps.store, campaignId, 5, files), 0);
    assert.equal(await claimTree(h.deps.store, campaignId, 5, setX(files, '2.5')), null);
  });

  it('refuses a replayed duplicate at apply, even when both are in flight at once, before any slot time', async () => {
    const campaignId = uniqueId('dup-replay');
    const a = knob('opt', 'X = 3.0', 'X = 2.0');
    // Trials 1 and 2 are in flight together with the same edit; trial 3 is a different one (the control).
    const input: CampaignInput = {
      campaignId,
      task: TOY_TASK,
      budget: { trials: 3 },
      parallelism: 2,
      proposer: { kind: 'replay', proposals: [a, a, knob('arch', 'SIZE = 1000', 'SIZE = 900')] },
    };
    await (await startCampaign(h.client, input)).result();
    const docs = await h.deps.store.trials.find({ campaignId }).sort({ index: 1 }).toArray();
    const [one, two] = [docs[1]!, docs[2]!];
    const [trained, refused] = one.label === 'proposal_invalid' ? [two, one] : [one, two];
    assert.equal(trained.label, 'keep');
    assert.equal(refused.label, 'proposal_invalid');
    assert.match(refused.reason, new RegExp(`identical to trial #${trained.index}'s \\(same tree hash\\)`));
    assert.equal(refused.train, null, 'the duplicate never reached a slot');
    assert.ok(!refused.stages.some((s) => s.stage === 'train'));
    assert.ok(docs[3]!.train, 'a different recipe trains as usual');
    assert.ok(['keep', 'discard'].includes(docs[3]!.label), docs[3]!.reason);
  });

  it('makes the offline proposer pick another move when its first choice is already claimed', async () => {
    const toy = h.deps.task(TOY_TASK, 'cpu');
    const picks = async (claimLower: boolean) => {
      const out: { to: string; refused: number }[] = [];
      for (let seed = 1; seed <= 8; seed++) {
        const { campaignId, files, baselineSha } = await seedCampaign(h.deps.store, toy, 'dup-offline');
        if (claimLower) assert.equal(await claimTree(h.deps.store, campaignId, 1, setX(files, '2.5')), null);
        const r = await propose(trialInput(campaignId, TOY_TASK, baselineSha, 2, 'opt', { kind: 'offline' }, seed), {
          store: h.deps.store,
          task: toy,
          parentFiles: files,
        });
        assert.ok(r.ok, r.ok ? '' : r.reason);
        out.push({ to: r.proposal!.knob!.to, refused: r.proposal!.duplicatesRefused ?? 0 });
      }
      return out;
    };
    // Control: unclaimed, some seeds lower X to 2.5 first.
    assert.ok((await picks(false)).some((p) => p.to === '2.5'));
    const claimed = await picks(true);
    assert.deepEqual([...new Set(claimed.map((p) => p.to))], ['3.5']);
    assert.ok(
      claimed.some((p) => p.refused === 1),
      'the refused first choice is counted',
    );
  });

  describe('an optuna campaign', () => {
    const run = async (seed: number, sampler?: 'cmaes') => {
      const campaignId = uniqueId(`optuna-${sampler ?? 'tpe'}`);
      await (
        await startCampaign(h.client, {
          campaignId,
          task: BOWL_TASK,
          budget: { trials: 6 },
          parallelism: 1,
          proposer: { kind: 'optuna', ...(sampler ? { sampler } : {}) },
          seed,
        })
      ).result();
      return h.deps.store.trials.find({ campaignId }).sort({ index: 1 }).toArray();
    };
    let docs: Awaited<ReturnType<typeof run>>;
    before(async () => {
      docs = await run(3);
    });

    it('records the proposer and arm, and the knob values each recipe trained', () => {
      assert.equal(docs.length, 7);
      for (const d of docs.slice(1)) {
        assert.deepEqual(d.proposal!.origin, { proposer: 'optuna', arm: 'optuna-tpe' });
        assert.deepEqual(Object.keys(d.proposal!.knobValues!).sort(), ['DEPTH', 'LR', 'MOMENTUM', 'NORM', 'WIDTH']);
      }
    });

    it("moves several of the specialist's own knobs at once, and no others", () => {
      const own: Record<string, string[]> = { opt: ['LR', 'MOMENTUM'], arch: ['DEPTH', 'WIDTH', 'NORM'] };
      let multi = 0;
      for (const d of docs.slice(1)) {
        const moved = d.proposal!.edits.map((e) => /^(\w+) =/.exec(e.search)![1]!);
        for (const name of moved) assert.ok(own[d.specialist]!.includes(name), `${d.specialist} moved ${name}`);
        if (moved.length > 1) multi++;
      }
      assert.ok(multi >= 2, `${multi} proposals moved more than one knob`);
    });

    it('trains no recipe twice, and tells failures (crashes) as a labelled result', async () => {
      const trees = await Promise.all(docs.filter((d) => d.sha).map(async (d) => recipeTreeHash(await loadSnapshot(h.deps.store, d.sha!))));
      assert.equal(new Set(trees).size, trees.length);
      for (const d of docs) assert.ok(['keep', 'discard', 'crash'].includes(d.label), `trial ${d.index}: ${d.label} ${d.reason}`);
    });

    it('is deterministic for a seed (the study is rebuilt from the recorded trials)', async () => {
      const again = await run(3);
      // Each proposal is made from the trials before it: up to the first trial whose outcome differs
      // (a loaded machine can overrun a budget in one run only), the two campaigns propose alike.
      const diverged = again.findIndex((d, i) => d.label !== docs[i]!.label);
      const same = diverged === -1 ? docs.length : diverged + 1;
      assert.ok(same >= 2, 'at least the first proposal');
      assert.deepEqual(
        again.slice(0, same).map((d) => d.hypothesis),
        docs.slice(0, same).map((d) => d.hypothesis),
      );
    });

    it('runs the CMA-ES sampler', async () => {
      const cma = await run(3, 'cmaes');
      assert.equal(cma.length, 7);
      for (const d of cma.slice(1)) assert.equal(d.proposal!.origin!.arm, 'optuna-cmaes');
    });
  });

  describe('the Claude proposer', () => {
    const claude = (task: LoadedTask, store: Store) => ({ store, task, anthropic: new Anthropic({ apiKey: 'sk-fake', baseURL: fake.url, maxRetries: 0 }) });
    const submit = (search: string, replace: string) => ({
      toolUses: [
        { name: 'submit_proposal', input: { hypothesis: `${search} -> ${replace}`, expected_delta: -0.1, edits: [{ file: 'train.py', search, replace }] } },
      ],
    });

    it('gets one repair turn naming the trial it duplicates, then ends as proposal_invalid', async () => {
      const toy = h.deps.task(TOY_TASK, 'cpu');
      const { campaignId, files, baselineSha } = await seedCampaign(h.deps.store, toy, 'dup-claude');
      await claimTree(h.deps.store, campaignId, 1, setX(files, '2.0'));
      await claimTree(h.deps.store, campaignId, 2, setX(files, '1.5'));
      const ctx = { ...claude(toy, h.deps.store), parentFiles: files };
      const p: ProposerConfig = { kind: 'claude', metaEvery: 0 };

      // It repeats trial 1, is told so, and proposes something new: accepted.
      fake.setBrain((req) => (toolResults(req).some((t) => t.isError) ? submit('X = 3.0', 'X = 1.0') : submit('X = 3.0', 'X = 2.0')));
      let before = fake.requests.length;
      const fixed = await propose(trialInput(campaignId, TOY_TASK, baselineSha, 3, 'opt', p), ctx);
      assert.ok(fixed.ok, fixed.ok ? '' : fixed.reason);
      assert.equal(fixed.proposal!.edits[0]!.replace, 'X = 1.0');
      assert.equal(fixed.proposal!.duplicatesRefused, 1);
      const repair = toolResults(fake.requests[before + 1]!).find((t) => t.name === 'submit_proposal')!;
      assert.ok(repair.isError);
      assert.match(repair.content, /identical to trial #1's/);

      // It repeats trial 1, then trial 2: the second duplicate ends the proposal.
      fake.setBrain((req) => (toolResults(req).some((t) => t.isError) ? submit('X = 3.0', 'X = 1.5') : submit('X = 3.0', 'X = 2.0')));
      before = fake.requests.length;
      const twice = await propose(trialInput(campaignId, TOY_TASK, baselineSha, 4, 'opt', p), ctx);
      assert.ok(!twice.ok);
      assert.match(twice.reason, /duplicate proposal after a repair turn: .*identical to trial #2's/);
      assert.equal(fake.requests.length - before, 2, 'one repair turn, no more');
    });

    it("shows the hybrid arm the optimizer's suggestion in its lineage view, and records the arm", async () => {
      const bowl = h.deps.task(BOWL_TASK, 'cpu');
      const { campaignId, files, baselineSha } = await seedCampaign(h.deps.store, bowl, 'hybrid');
      const ctx = { ...claude(bowl, h.deps.store), parentFiles: files };
      fake.setBrain(() => submit('LR = 0.01  # learning rate', 'LR = 0.02  # learning rate'));
      const seen = async (proposer: ProposerConfig) => {
        const before = fake.requests.length;
        const r = await propose(trialInput(campaignId, BOWL_TASK, baselineSha, 1, 'opt', proposer), ctx);
        assert.ok(r.ok, r.ok ? '' : r.reason);
        return { text: firstUserText(fake.requests[before]!), origin: r.proposal!.origin };
      };
      const hybrid = await seen({ kind: 'claude', metaEvery: 0, optimizer: { kind: 'optuna' } });
      assert.match(hybrid.text, /## The optimizer's suggestion \(optuna-tpe, from this campaign's trials\)\n- optuna-tpe: set (LR|MOMENTUM) /);
      assert.deepEqual(hybrid.origin, { proposer: 'claude', arm: 'claude+optuna-tpe' });
      // Control: the plain Claude arm sees no suggestion.
      const plain = await seen({ kind: 'claude', metaEvery: 0 });
      assert.doesNotMatch(plain.text, /optimizer's suggestion/);
      assert.deepEqual(plain.origin, { proposer: 'claude', arm: 'claude' });
    });
  });

  it('refuses an optuna campaign on a task with no declared knobs, naming the field', async () => {
    const campaignId = uniqueId('optuna-noknobs');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lineage-noknobs-'));
    cpSync(BOWL_TASK, dir, { recursive: true });
    const yaml = readFileSync(path.join(dir, 'task.yaml'), 'utf8');
    writeFileSync(path.join(dir, 'task.yaml'), yaml.slice(0, yaml.indexOf('knobs:')).replace('name: bowl', 'name: bowl-no-knobs'));
    const err = await (
      await startCampaign(h.client, { campaignId, task: dir, budget: { trials: 1 }, parallelism: 1, proposer: { kind: 'optuna' } })
    )
      .result()
      .then(
        () => null,
        (e: Error) => e,
      );
    assert.ok(err);
    assert.match(
      String((err as { cause?: Error }).cause?.message ?? err.message),
      /proposer: optuna moves the task's declared knobs, and task bowl-no-knobs declares none/,
    );
  });
});
