import assert from 'node:assert/strict';
import { proposeOffline, stepKnob } from '../../src/proposers/offline.js';
import { readKnob } from '../../src/proposers/knobLines.js';
import type { Knob } from '../../src/task/spec.js';

const knobs: Knob[] = [
  { name: 'LR', specialist: 'opt', file: 'train.py', type: 'float', factor: 2, min: 1e-4, max: 1 },
  { name: 'WIDTH', specialist: 'arch', file: 'train.py', type: 'int', step: 64, min: 64, max: 512 },
  { name: 'TIED', specialist: 'arch', file: 'train.py', type: 'bool' },
];
const own = (specialist: string) => knobs.filter((k) => k.specialist === specialist);
const files = new Map([['train.py', 'LR = 0.01  # learning rate\nWIDTH = 128\nTIED = True\n']]);

describe('offline proposer', () => {
  it('reads and steps knobs within their range', () => {
    assert.deepEqual(readKnob(files.get('train.py')!, 'LR'), { line: 'LR = 0.01  # learning rate', value: '0.01' });
    assert.equal(stepKnob(knobs[0]!, '0.01', 1), '0.02');
    assert.equal(stepKnob(knobs[1]!, '512', 1), null);
    assert.equal(stepKnob(knobs[1]!, '128', -1), '64');
    assert.equal(stepKnob(knobs[2]!, 'True', 1), 'False');
  });
  it('edits only its own knobs, as an exact line replacement', () => {
    const p = proposeOffline({ specialist: 'opt', knobs: own('opt'), files, history: [], inFlight: [], seed: 1 })!;
    assert.equal(p.edits.length, 1);
    assert.equal(p.edits[0]!.search, 'LR = 0.01  # learning rate');
    assert.match(p.edits[0]!.replace, /^LR = 0\.0(2|05)  # learning rate$/);
  });
  it('continues a direction that was kept and backs off after a budget overrun', () => {
    const kept = proposeOffline({
      specialist: 'opt',
      knobs: own('opt'),
      files,
      history: [{ knob: { name: 'LR', from: '0.005', to: '0.01', direction: 1 }, label: 'keep', index: 3 }],
      inFlight: [],
      seed: 7,
    })!;
    assert.equal(kept.knob!.direction, 1);
    const over = proposeOffline({
      specialist: 'arch',
      knobs: knobs.slice(1, 2),
      files,
      history: [{ knob: { name: 'WIDTH', from: '64', to: '128', direction: 1 }, label: 'train_budget_overrun', index: 4 }],
      inFlight: [],
      seed: 7,
    })!;
    assert.equal(over.knob!.direction, -1);
  });
  it('does not repeat an edit a sibling trial has in flight', () => {
    for (let seed = 1; seed < 20; seed++) {
      const p = proposeOffline({
        specialist: 'opt',
        knobs: own('opt'),
        files,
        history: [],
        inFlight: [{ name: 'LR', from: '0.01', to: '0.02', direction: 1 }],
        seed,
      })!;
      assert.notEqual(p.knob!.to, '0.02');
    }
  });
  it('never proposes a move refused as a duplicate, and says so when none is left', () => {
    const up = { name: 'LR', from: '0.01', to: '0.02', direction: 1 as const };
    const down = { name: 'LR', from: '0.01', to: '0.005', direction: -1 as const };
    for (let seed = 1; seed < 20; seed++) {
      assert.equal(proposeOffline({ specialist: 'opt', knobs: own('opt'), files, history: [], inFlight: [], refused: [up], seed })!.knob!.to, '0.005');
    }
    assert.equal(proposeOffline({ specialist: 'opt', knobs: own('opt'), files, history: [], inFlight: [], refused: [up, down], seed: 1 }), null);
  });
  it('is deterministic for a seed', () => {
    const a = proposeOffline({ specialist: 'arch', knobs: own('arch'), files, history: [], inFlight: [], seed: 5 });
    const b = proposeOffline({ specialist: 'arch', knobs: own('arch'), files, history: [], inFlight: [], seed: 5 });
    assert.deepEqual(a, b);
  });
});
