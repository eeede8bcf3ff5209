// Campaigns with the Claude proposer on the real services. The model is the one stand-in: a local
// server speaking the Messages API, driven by the real @anthropic-ai/sdk client in the control worker.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { startHarness, startCampaign, uniqueId, TOY_TASK, type Harness } from './support/harness.js';
import { startFakeAnthropic, toolResults, firstUserText, systemText, type Brain, type FakeAnthropic } from './support/fakeAnthropic.js';
import { trialId } from '../src/ids.js';
import type { CampaignInput, CampaignResult, Label } from '../src/types.js';

const SECRET = 'sk-ant-fake-key-that-must-never-reach-a-trial';

/** Reads train.py, then moves X halfway to its optimum 1: every proposal should be kept. As the meta analyst (no tools) it writes a note. */
const tuner: Brain = (req) => {
  if (!req.tools) return { text: '- key insight: halving X toward 1 keeps paying' };
  const file = toolResults(req).find((r) => r.name === 'read_file' && !r.isError);
  if (!file) return { toolUses: [{ name: 'read_file', input: { path: 'train.py' } }] };
  const m = /^X = (-?[\d.]+)/m.exec(file.content)!;
  const next = (Number(m[1]) + 1) / 2;
  return {
    toolUses: [
      {
        name: 'submit_proposal',
        input: {
          hypothesis: `move X from ${m[1]} to ${next}, halfway to the optimum`,
          expected_delta: -0.5,
          rationale: 'the loss is (X-1)^2',
          edits: [{ file: 'train.py', search: m[0], replace: `X = ${next}` }],
        },
      },
    ],
  };
};

const submit = (input: unknown) => ({ toolUses: [{ name: 'submit_proposal', input }] });

describe('Claude proposer on real services', function () {
  let h: Harness;
  let fake: FakeAnthropic;
  const saved = { key: process.env.ANTHROPIC_API_KEY, url: process.env.ANTHROPIC_BASE_URL };

  before(async function () {
    fake = await startFakeAnthropic(tuner);
    process.env.ANTHROPIC_API_KEY = SECRET;
    process.env.ANTHROPIC_BASE_URL = fake.url;
    h = await startHarness({ slots: 1 });
  });
  after(async () => {
    await h?.stop();
    await fake?.close();
    for (const [k, v] of [
      ['ANTHROPIC_API_KEY', saved.key],
      ['ANTHROPIC_BASE_URL', saved.url],
    ] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  async function run(brain: Brain, input: Omit<CampaignInput, 'campaignId' | 'task' | 'parallelism'> & { parallelism?: number }, prefix: string) {
    fake.setBrain(brain);
    const before = fake.requests.length;
    const campaignId = uniqueId(prefix);
    const result: CampaignResult = await (await startCampaign(h.client, { campaignId, task: TOY_TASK, parallelism: 1, ...input })).result();
    const docs = await h.deps.store.trials.find({ campaignId }).sort({ index: 1 }).toArray();
    return { campaignId, result, docs, requests: fake.requests.slice(before) };
  }

  describe('a campaign end to end, with lineage, caching, retries and the meta analyst', () => {
    let r: Awaited<ReturnType<typeof run>>;
    before(async () => {
      fake.failNext(429, 529); // the first call meets a rate limit, then an overload: the SDK retries both
      r = await run(tuner, { budget: { trials: 3 }, proposer: { kind: 'claude', metaEvery: 2 }, specialists: ['opt'] }, 'claude-e2e');
    });

    it('keeps every halving proposal and records it like any trial', () => {
      assert.deepEqual(
        r.docs.map((d) => d.label),
        ['keep', 'keep', 'keep', 'keep'],
      );
      assert.deepEqual(
        r.docs.map((d) => d.score),
        [4, 1, 0.25, 0.0625],
      );
      assert.match(r.docs[1]!.hypothesis, /move X from 3\.0 to 2/);
      assert.equal(r.docs[1]!.proposal!.expectedDelta, -0.5);
      assert.equal(r.result.status.best!.score, 0.0625);
    });

    it('retried the 429 and the 529 and went on', () => {
      assert.equal(r.requests[0]!.model, 'claude-sonnet-4-6');
      // Two injected failures plus, per trial, a read turn and a submit turn, plus the meta analyst.
      const proposalCalls = r.requests.filter((q) => q.tools?.length);
      assert.equal(proposalCalls.length, 2 + 3 * 2);
    });

    it('records tokens and dollars per trial, with the cached system prefix read after the first call', () => {
      for (const d of r.docs.slice(1)) {
        assert.ok(d.usage.inputTokens > 0 && d.usage.outputTokens > 0, `trial ${d.index} tokens`);
        assert.ok(d.usage.dollars > 0, `trial ${d.index} dollars`);
        assert.ok((d.usage.calls ?? 0) >= 2);
      }
      assert.ok((r.docs[2]!.usage.cacheReadTokens ?? 0) > 0, 'the second proposal reads the cached prefix');
      const sys = r.requests.find((q) => q.tools?.length)!.system as { cache_control?: unknown }[];
      assert.ok(sys.at(-1)!.cache_control, 'the static system prompt is marked for caching');
    });

    it('shows each proposal the lineage of the ones before it', () => {
      // (The first two requests were answered 429 and 529, then sent again.)
      const firsts = r.requests
        .slice(2)
        .filter((q) => q.tools?.length && q.messages.length === 1)
        .map(firstUserText);
      assert.equal(firsts.length, 3);
      assert.match(firsts[0]!, /# Lineage \(1 trials so far/);
      assert.match(firsts[2]!, /#1 \[opt\] keep 1 \(-3\) — move X from 3\.0 to 2/);
      assert.match(firsts[2]!, /#2 \[opt\] keep 0\.25/);
      assert.match(systemText(r.requests.find((q) => q.tools?.length)!), /Your role: opt[\s\S]*Your surface \(the only files you may edit\): train\.py/);
    });

    it('lets the meta analyst write the key-insights note that later views carry', async () => {
      const meta = r.requests.filter((q) => !q.tools);
      assert.equal(meta.length, 1, 'one refresh after 2 finished trials');
      const campaign = await h.deps.store.campaigns.findOne({ _id: r.campaignId });
      assert.equal(campaign!.insights!.afterTrials, 2);
      assert.match(campaign!.insights!.text, /insight/);
    });
  });

  it('gives a malformed reply one repair turn with the parser error, then proposal_invalid', async () => {
    // Trial 1 repairs its reply when told why it was rejected; trial 2 repeats the mistake.
    const brain: Brain = (req) => {
      const rejected = toolResults(req).some((t) => t.name === 'submit_proposal' && t.isError);
      const firstTrial = !/#1 \[opt\]/.test(firstUserText(req));
      if (rejected && firstTrial)
        return submit({
          hypothesis: 'set X to exactly one, the optimum',
          expected_delta: -4,
          edits: [{ file: 'train.py', search: 'X = 3.0', replace: 'X = 1.0' }],
        });
      return submit({ hypothesis: 'no delta given here', edits: [{ file: 'train.py', search: 'X = 3.0', replace: 'X = 1.0' }] });
    };
    const r = await run(brain, { budget: { trials: 2 }, proposer: { kind: 'claude', metaEvery: 0 }, specialists: ['opt'] }, 'claude-repair');
    // Trial 1: malformed, repaired, kept. Trial 2: malformed twice: proposal_invalid.
    assert.deepEqual(
      r.docs.map((d) => d.label),
      ['keep', 'keep', 'proposal_invalid'],
    );
    const repair = r.requests[1]!;
    const error = toolResults(repair).find((t) => t.name === 'submit_proposal')!;
    assert.ok(error.isError);
    assert.match(error.content, /expected_delta: a number/);
    assert.match(r.docs[2]!.reason, /rejected after a repair turn: expected_delta/);
    assert.equal(r.docs[2]!.sha, null);
    assert.ok(r.docs[2]!.usage.dollars > 0, 'an invalid proposal still costs what its calls cost');
  });

  it('refuses an edit outside the specialist surface before it reaches git', async () => {
    const brain: Brain = () =>
      submit({
        hypothesis: 'data specialist edits the training loop',
        expected_delta: -1,
        edits: [{ file: 'train.py', search: 'X = 3.0', replace: 'X = 1.0' }],
      });
    const r = await run(brain, { budget: { trials: 1 }, proposer: { kind: 'claude', metaEvery: 0 }, specialists: ['data'] }, 'claude-surface');
    assert.equal(r.docs[1]!.label, 'illegal_edit' satisfies Label);
    assert.match(r.docs[1]!.reason, /train\.py outside data's surface \(data\.py\)/);
    assert.equal(r.docs[1]!.sha, null);
    const refs = execFileSync('git', ['--git-dir', path.join(h.deps.home, 'campaigns', r.campaignId, 'repo.git'), 'for-each-ref', '--format=%(refname)'], {
      encoding: 'utf8',
    });
    assert.doesNotMatch(refs, /trials\/1/);
  });

  it('makes no model call once the dollar cap is spent', async () => {
    // A price a million times the real one: the first proposal alone spends the cap.
    const proposer = { kind: 'claude' as const, metaEvery: 0, model: { price: { input: 3e6, output: 15e6 } } };
    const r = await run(tuner, { budget: { trials: 3, dollars: 5 }, proposer, specialists: ['opt'] }, 'claude-dollars');
    const paid = r.docs.filter((d) => d.usage.dollars > 0);
    assert.equal(paid.length, 1, 'only the first proposal called the model');
    assert.ok(paid[0]!.usage.dollars >= 5);
    assert.equal(r.requests.length, 2, 'read + submit of the first proposal, nothing after');
    for (const d of r.docs.slice(2)) assert.match(d.reason, /dollar cap reached/);
  });

  it('runs the lineage-off arm with no lineage in any prompt', async () => {
    const r = await run(tuner, { budget: { trials: 2 }, proposer: { kind: 'claude', lineage: false, metaEvery: 0 }, specialists: ['opt'] }, 'claude-nolineage');
    assert.deepEqual(
      r.docs.map((d) => d.label),
      ['keep', 'keep', 'keep'],
    );
    for (const q of r.requests) {
      assert.doesNotMatch(firstUserText(q), /# Lineage|Your recent trials|keep 1/);
      assert.match(firstUserText(q), /You see no lineage in this campaign/);
    }
  });

  it('runs N generic agents, each owning every surface with no domain preamble', async () => {
    const r = await run(tuner, { budget: { trials: 2 }, proposer: { kind: 'claude', metaEvery: 0 }, roster: { kind: 'generic', agents: 2 } }, 'claude-generic');
    assert.deepEqual(
      r.docs.map((d) => d.specialist),
      ['baseline', 'agent-1', 'agent-2'],
    );
    assert.deepEqual(
      r.docs.map((d) => d.label),
      ['keep', 'keep', 'keep'],
    );
    const sys = systemText(r.requests.find((q) => q.tools?.length)!);
    assert.match(sys, /Your role: agent-1\nYou are a machine-learning research engineer/);
    assert.match(sys, /Your surface \(the only files you may edit\): train\.py, model\/\*\.py, data\.py/);
    assert.doesNotMatch(sys, /Optimisation\./);
  });

  it('ports a diff from another branch with both parents recorded, and keeps secrets out of the trial', async () => {
    // Trial 1 prints its environment (discarded: same score), trial 2 ports it onto the best.
    const brain: Brain = (req) => {
      const text = firstUserText(req);
      if (/#1 \[opt\]/.test(text)) {
        return submit({
          hypothesis: 'carry trial 1 over together with a better X',
          expected_delta: -3,
          port_from: 1,
          edits: [
            {
              file: 'train.py',
              search: 'import json, os, sys, time',
              replace: 'import json, os, sys, time\nprint("ENV", sorted(os.environ.items()), flush=True)',
            },
            { file: 'train.py', search: 'X = 3.0', replace: 'X = 1.0' },
          ],
        });
      }
      return submit({
        hypothesis: 'log the environment for debugging',
        expected_delta: 0,
        edits: [
          {
            file: 'train.py',
            search: 'import json, os, sys, time',
            replace: 'import json, os, sys, time\nprint("ENV", sorted(os.environ.items()), flush=True)',
          },
        ],
      });
    };
    const r = await run(brain, { budget: { trials: 2 }, proposer: { kind: 'claude', metaEvery: 0 }, specialists: ['opt'] }, 'claude-port');
    assert.deepEqual(
      r.docs.map((d) => d.label),
      ['keep', 'discard', 'keep'],
    );
    const port = r.docs[2]!;
    assert.deepEqual(port.proposal!.portedFrom, { index: 1, sha: r.docs[1]!.sha });
    assert.equal(port.secondParentSha, r.docs[1]!.sha);
    const parents = execFileSync(
      'git',
      ['--git-dir', path.join(h.deps.home, 'campaigns', r.campaignId, 'repo.git'), 'rev-list', '--parents', '-n', '1', port.sha!],
      { encoding: 'utf8' },
    )
      .trim()
      .split(' ');
    assert.deepEqual(parents.slice(1), [r.docs[0]!.sha, r.docs[1]!.sha]);
    assert.match(r.docs[1]!.logExcerpt, /ENV \[/);
    assert.doesNotMatch(r.docs[1]!.logExcerpt, /sk-ant|ANTHROPIC/);
    assert.equal(trialId(r.campaignId, 2), port._id);
  });
});
