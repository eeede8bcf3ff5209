// The slots of one worker process. A train takes any free slot; after it, the slot is held for
// that trial's evaluate (which arrives on the slot's own queue a moment later), so another
// train cannot slip in between and leave the evaluate waiting a whole run.
import type { Slot } from './slot.js';

interface SlotState {
  slot: Slot;
  busy: boolean;
  heldFor: string | null;
  heldUntil: number;
}

const POLL_MS = 200;

export class SlotPool {
  private states: SlotState[];
  private waiters: (() => void)[] = [];

  constructor(
    slots: Slot[],
    private readonly holdMs = 60_000,
  ) {
    this.states = slots.map((slot) => ({ slot, busy: false, heldFor: null, heldUntil: 0 }));
  }

  get slots(): Slot[] {
    return this.states.map((s) => s.slot);
  }

  private free(s: SlotState, trialId: string): boolean {
    return !s.busy && (s.heldFor === null || s.heldFor === trialId || Date.now() >= s.heldUntil);
  }

  /** Wakes everyone waiting for a slot: a slot was given back. */
  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Until a release wakes it, or POLL_MS passes (a hold can expire with no release). */
  private nap(): Promise<void> {
    return new Promise((r) => {
      const t = setTimeout(r, POLL_MS);
      this.waiters.push(() => {
        clearTimeout(t);
        r();
      });
    });
  }

  /**
   * Runs a train on a free slot, preferring one already held for this trial. After it the slot
   * is held for the trial's evaluate, unless `holdAfter` says none follows.
   */
  async train<T>(trialId: string, fn: (slot: Slot) => Promise<T>, waiting: () => void = () => {}, holdAfter: (result: T) => boolean = () => true): Promise<T> {
    let s: SlotState | undefined;
    while (!(s = this.states.find((x) => x.heldFor === trialId && this.free(x, trialId)) ?? this.states.find((x) => this.free(x, trialId)))) {
      waiting();
      await this.nap();
    }
    s.busy = true;
    let hold = true;
    try {
      const result = await fn(s.slot);
      hold = holdAfter(result);
      return result;
    } finally {
      s.busy = false;
      if (hold) {
        s.heldFor = trialId;
        s.heldUntil = Date.now() + this.holdMs;
      }
      this.wake();
    }
  }

  /** Runs an evaluate on the named slot once it is not busy. */
  async evaluate<T>(slotId: string, trialId: string, fn: (slot: Slot) => Promise<T>): Promise<T> {
    const s = this.states.find((x) => x.slot.id === slotId);
    if (!s) throw new Error(`slot ${slotId} is not in this worker`);
    while (s.busy) await this.nap();
    s.busy = true;
    try {
      return await fn(s.slot);
    } finally {
      s.busy = false;
      if (s.heldFor === trialId) s.heldFor = null;
      this.wake();
    }
  }
}
