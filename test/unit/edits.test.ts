import assert from 'node:assert/strict';
import { applyEdits, unsafePath } from '../../src/recipe/edits.js';
import { outsideSurface } from '../../src/stages/apply.js';

describe('edits', () => {
  const files = new Map([['train.py', 'A = 1\nB = 2\nB = 2\n']]);
  it('applies an exact, unique search/replace', () => {
    assert.equal(applyEdits(files, [{ file: 'train.py', search: 'A = 1', replace: 'A = 3' }]).get('train.py'), 'A = 3\nB = 2\nB = 2\n');
  });
  it('refuses missing, ambiguous and unknown-file searches with a precise message', () => {
    assert.throws(() => applyEdits(files, [{ file: 'train.py', search: 'C = 1', replace: '' }]), /edit 1 \(train.py\): search text not found/);
    assert.throws(() => applyEdits(files, [{ file: 'train.py', search: 'B = 2', replace: '' }]), /occurs more than once/);
    assert.throws(() => applyEdits(files, [{ file: 'x.py', search: 'a', replace: 'b' }]), /no such file/);
  });
  it('creates a file from an empty search', () => {
    assert.equal(applyEdits(files, [{ file: 'new.py', search: '', replace: 'X = 1\n' }]).get('new.py'), 'X = 1\n');
  });
  it('rejects paths that leave the checkout and files outside a surface', () => {
    assert.ok(unsafePath('../evaluator/evaluate.py'));
    assert.ok(unsafePath('/etc/passwd'));
    assert.ok(unsafePath('.git/config'));
    assert.equal(unsafePath('model/net.py'), null);
    assert.deepEqual(outsideSurface(['train.py', 'model/*.py'], ['train.py', 'model/a.py', 'data.py']), ['data.py']);
  });
});
