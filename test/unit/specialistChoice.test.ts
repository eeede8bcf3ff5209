// The bandit over specialists: pure, deterministic, tried-everyone-first, and following the keeps.
import assert from 'node:assert/strict';
import { BANDIT_WINDOW, chooseByBandit, remember, roundRobin, trialReward } from '../../src/specialistChoice.js';
import type { SpecialistReward } from '../../src/types.js';

const ROSTER = ['arch', 'opt', 'reg'];

/** Runs the bandit for `steps` trials one at a time; `pays(name, step)` says whether a trial keeps. */
function simulate(steps: number, pays: (name: string, step: number) => boolean, start: SpecialistReward[] = []) {
  let window = start;
  const picks: string[] = [];
  for (let step = 0; step < steps; step++) {
    const name = chooseByBandit(ROSTER, window, []);
    picks.push(name);
    window = remember(window, { specialist: name, reward: pays(name, step) ? 1 : 0 });
  }
  return { picks, window };
}
const share = (picks: string[], name: string) => picks.filter((p) => p === name).length / picks.length;

describe('specialist choice', () => {
  it('round-robin walks the roster', () => {
    assert.deepEqual(
      [0, 1, 2, 3, 4].map((i) => roundRobin(ROSTER, i)),
      ['arch', 'opt', 'reg', 'arch', 'opt'],
    );
  });

  it('the bandit tries every specialist first, spreading in-flight slots', () => {
    assert.equal(chooseByBandit(ROSTER, [], []), 'arch');
    assert.equal(chooseByBandit(ROSTER, [], ['arch']), 'opt');
    assert.equal(chooseByBandit(ROSTER, [], ['arch', 'opt']), 'reg');
    assert.deepEqual(simulate(3, () => false).picks, ROSTER);
  });

  it('is deterministic', () => {
    const pays = (name: string, step: number) => name === 'opt' && step % 3 === 0;
    assert.deepEqual(simulate(50, pays).picks, simulate(50, pays).picks);
  });

  it('a specialist whose keeps pay gains share', () => {
    const { picks } = simulate(90, (name) => name === 'opt');
    const late = picks.slice(30);
    assert.ok(share(late, 'opt') > 0.6, `opt share ${share(late, 'opt')}`);
    for (const other of ['arch', 'reg']) assert.ok(share(late, other) > 0, `${other} is still explored`);
  });

  it('a specialist whose keeps dry up loses share to one that starts paying', () => {
    // arch keeps for the first 40 trials, then never again; reg starts keeping at trial 40.
    const pays = (name: string, step: number) => (name === 'arch' ? step < 40 : name === 'reg' ? step >= 40 : false);
    const { picks } = simulate(160, pays);
    const before = picks.slice(10, 40);
    const after = picks.slice(100);
    assert.ok(share(before, 'arch') > 0.6, `arch led while it paid (${share(before, 'arch')})`);
    assert.ok(share(after, 'arch') < 0.2, `arch lost share once its keeps dried up (${share(after, 'arch')})`);
    assert.ok(share(after, 'reg') > 0.6, `reg gained share once it paid (${share(after, 'reg')})`);
  });

  it('remembers a bounded window', () => {
    let window: SpecialistReward[] = [];
    for (let i = 0; i < 100; i++) window = remember(window, { specialist: 'opt', reward: i });
    assert.equal(window.length, BANDIT_WINDOW);
    assert.equal(window[0]!.reward, 100 - BANDIT_WINDOW);
  });

  it('rewards keeps by how much they improved the best', () => {
    assert.equal(trialReward(false, 1, 2, 'minimize'), 0);
    assert.ok(Math.abs(trialReward(true, 1.99999, 2, 'minimize') - 0.50025) < 1e-9, 'a marginal keep earns little more than 0.5');
    assert.equal(trialReward(true, 1.5, 2, 'minimize'), 1);
    assert.ok(Math.abs(trialReward(true, 2.01, 2, 'maximize') - 0.75) < 1e-9, 'half the full-reward gain earns 0.75');
    assert.equal(trialReward(true, 3, null, 'maximize'), 1);
  });
});
