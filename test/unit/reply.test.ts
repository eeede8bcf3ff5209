import assert from 'node:assert/strict';
import { diffToEdits, parseSubmission, ReplyError, submitToolSchema } from '../../src/proposers/claude/reply.js';
import { applyEdits } from '../../src/recipe/edits.js';

const files = new Map([
  ['train.py', 'import os\nLR = 0.01\nSTEPS = 100\nprint(LR)\n'],
  ['model.py', 'WIDTH = 64\n'],
]);

describe('Claude reply parsing', () => {
  it('turns a unified diff into edits that reproduce it', () => {
    const diff = [
      '--- a/train.py',
      '+++ b/train.py',
      '@@ -1,4 +1,4 @@',
      ' import os',
      '-LR = 0.01',
      '+LR = 0.02',
      ' STEPS = 100',
      ' print(LR)',
      '--- /dev/null',
      '+++ b/extra.py',
      '@@ -0,0 +1 @@',
      '+X = 1',
      '',
    ].join('\n');
    const edits = diffToEdits(diff, files);
    const out = applyEdits(files, edits);
    assert.equal(out.get('train.py'), 'import os\nLR = 0.02\nSTEPS = 100\nprint(LR)\n');
    assert.equal(out.get('extra.py'), 'X = 1\n');
    assert.equal(out.get('model.py'), 'WIDTH = 64\n');
  });

  it('names the file when a diff does not apply', () => {
    const diff = ['--- a/train.py', '+++ b/train.py', '@@ -1,2 +1,2 @@', ' import sys', '-LR = 0.01', '+LR = 0.02', ''].join('\n');
    assert.throws(
      () => diffToEdits(diff, files),
      (e: Error) => e instanceof ReplyError && /hunks for train\.py do not apply/.test(e.message),
    );
    const unknown = ['--- a/nope.py', '+++ b/nope.py', '@@ -1 +1 @@', '-a', '+b', ''].join('\n');
    assert.throws(() => diffToEdits(unknown, files), /nope\.py is not a file of the parent recipe/);
  });

  it('names each missing or malformed field', () => {
    const bad = (input: unknown, re: RegExp) =>
      assert.throws(
        () => parseSubmission(input, files),
        (e: Error) => e instanceof ReplyError && re.test(e.message),
      );
    bad({ hypothesis: 'raise the learning rate', edits: [{ file: 'train.py', search: 'LR = 0.01', replace: 'LR = 0.02' }] }, /expected_delta: a number/);
    bad({ hypothesis: 'short', expected_delta: -1, edits: [{ file: 'train.py', search: 'a', replace: 'b' }] }, /hypothesis: one or two sentences/);
    bad({ hypothesis: 'raise the learning rate', expected_delta: -1 }, /edits: give exactly one of edits .* or diff/);
    bad(
      { hypothesis: 'raise the learning rate', expected_delta: -1, edits: [{ file: 'train.py', search: 'a', replace: 'b' }], diff: '--- a/x' },
      /exactly one of/,
    );
    bad({ hypothesis: 'raise the learning rate', expected_delta: -1, edits: [{ file: 'train.py', replace: 'b' }] }, /edits\.0\.search/);
    bad({ hypothesis: 'raise the learning rate', expected_delta: -1, edits: [{ file: 'train.py', search: 'a', replace: 'b' }], extra: 1 }, /extra/);
  });

  it('offers the model the tool schema made from the schema that checks its reply', () => {
    assert.deepEqual(Object.keys(submitToolSchema.properties!).sort(), ['diff', 'edits', 'expected_delta', 'hypothesis', 'port_from', 'rationale']);
    assert.deepEqual(submitToolSchema.required, ['hypothesis', 'expected_delta'], 'rationale has a default, so the model may leave it out');
    assert.equal(submitToolSchema.additionalProperties, false);
    assert.equal('$schema' in submitToolSchema, false);
    assert.match(String((submitToolSchema.properties!.edits as { description?: string }).description), /search must occur exactly once/);
  });

  it('accepts search/replace edits as given', () => {
    const s = parseSubmission(
      {
        hypothesis: 'raise the learning rate',
        expected_delta: -0.01,
        rationale: 'underfit',
        edits: [{ file: 'train.py', search: 'LR = 0.01', replace: 'LR = 0.02' }],
        port_from: 3,
      },
      files,
    );
    assert.deepEqual(s.edits, [{ file: 'train.py', search: 'LR = 0.01', replace: 'LR = 0.02' }]);
    assert.equal(s.port_from, 3);
  });
});
