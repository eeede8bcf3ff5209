import assert from 'node:assert/strict';
import { cpuSlots, gpuSlots } from '../../src/runner/slot.js';
import { SlotPool } from '../../src/runner/slotPool.js';
import { trialEnv } from '../../src/runner/trialEnv.js';

describe('worker slots', () => {
  it('pins one GPU per slot through CUDA_VISIBLE_DEVICES, each with its own queue', () => {
    const slots = gpuSlots(['0', '3'], 8);
    assert.deepEqual(
      slots.map((s) => s.cudaVisibleDevices),
      ['0', '3'],
    );
    assert.equal(new Set(slots.map((s) => s.queue)).size, 2);
    const env = trialEnv({
      checkout: '/c',
      runDir: '/c/run',
      dataDir: '/d',
      seed: 1,
      device: 'cuda',
      cudaVisibleDevices: slots[1]!.cudaVisibleDevices,
      threads: 8,
      preset: 'gpu',
      taskEnv: {},
    });
    assert.equal(env.CUDA_VISIBLE_DEVICES, '3');
    assert.equal(env.LINEAGE_DEVICE, 'cuda');
    assert.equal(cpuSlots(2, 1)[0]!.cudaVisibleDevices, null);
  });
  it('gives one slot several GPUs when they are joined with +', () => {
    const [eight] = gpuSlots(['0+1+2+3+4+5+6+7'], 16);
    assert.equal(eight!.cudaVisibleDevices, '0,1,2,3,4,5,6,7');
    assert.equal(eight!.device, 'cuda');
    assert.match(eight!.id, /gpu0\+1\+2\+3\+4\+5\+6\+7$/);
  });
  it('holds a slot for its trial between train and evaluate', async () => {
    const pool = new SlotPool(cpuSlots(1, 1), 5_000);
    const order: string[] = [];
    const slot = await pool.train('a', async (s) => s);
    // Trial b wants to train, but the slot is held for a's evaluate.
    const b = pool.train('b', async () => void order.push('train b'));
    await new Promise((r) => setTimeout(r, 300));
    await pool.evaluate(slot.id, 'a', async () => void order.push('evaluate a'));
    await b;
    assert.deepEqual(order, ['evaluate a', 'train b']);
  });

  it('a waiting train takes the slot the moment an evaluate gives it back, not at the next poll', async () => {
    const pool = new SlotPool(cpuSlots(1, 1), 5_000);
    const slot = await pool.train('a', async (s) => s);
    let freedAt = 0;
    const b = pool.train('b', async () => Date.now() - freedAt);
    await new Promise((r) => setTimeout(r, 250));
    await pool.evaluate(slot.id, 'a', async () => void (freedAt = Date.now()));
    assert.ok((await b) < 50, 'woken by the release (the poll is every 200 ms)');
  });

  it('a train answered without running (a stale parent) does not hold the slot for an evaluate', async () => {
    const pool = new SlotPool(cpuSlots(1, 1), 60_000);
    await pool.train(
      'a',
      async () => 'stale',
      () => {},
      (r) => r !== 'stale',
    );
    const t0 = Date.now();
    await pool.train('b', async () => 'trained');
    assert.ok(Date.now() - t0 < 50, 'b took the slot at once');
    // The control: a train that ran holds the slot for its own evaluate, so another trial waits.
    const held = new SlotPool(cpuSlots(1, 1), 400);
    await held.train('a', async () => 'trained');
    const t1 = Date.now();
    await held.train('b', async () => 'trained');
    assert.ok(Date.now() - t1 >= 350, 'b waited for the hold to expire');
  });
});
