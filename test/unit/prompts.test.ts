// The Claude proposer's prompt documents (src/proposers/claude/prompts), filled from a task spec.
import assert from 'node:assert/strict';
import path from 'node:path';
import { loadTask, repoRoot } from '../../src/task/spec.js';
import { rosterMember } from '../../src/roster.js';
import { systemPrompt } from '../../src/proposers/claude/prompt.js';
import { fill } from '../../src/proposers/claude/template.js';

describe('prompt documents', () => {
  it('fill: values in place, a line with a null value left out, a name with no value refused', () => {
    assert.equal(fill('a {{x}}\n- cap {{cap}} bytes\nb {{y}}', { x: 1, y: 'two', cap: null }), 'a 1\nb two');
    assert.throws(() => fill('a {{typo}}', { x: 1 }), /prompt template: no value for \{\{typo\}\}/);
  });

  it('the system prompt carries the hard limits and the protocol; the size cap line only for a task with a cap', () => {
    const text = (dir: string, name: string) => {
      const task = loadTask(path.join(repoRoot(), dir));
      return systemPrompt(task, rosterMember(task.spec, name)!)[0]!.text;
    };
    const toy = text('test/fixtures/tasks/toy', 'opt');
    assert.match(toy, /# Hard limits\n- Metric: loss, lower is better/);
    assert.match(toy, /- Artifact size cap: 5000 bytes, projected before training/);
    assert.match(toy, /\nHow to work:\n1\. Read the lineage/);
    assert.doesNotMatch(toy, /\{\{/);
    const uncapped = text('test/fixtures/tasks/bowl', 'opt');
    assert.doesNotMatch(uncapped, /Artifact size cap/);
    assert.match(uncapped, /- Memory: the trial's process group is killed above \d+ MB\.\n- Keep rule:/);
  });
});
