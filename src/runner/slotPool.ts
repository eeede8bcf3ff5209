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

  /** Runs a train on a free slot, preferring one already held for this trial. */
  async train<T>(trialId: string, fn: (slot: Slot) => Promise<T>, waiting: () => void = () => {}): Promise<T> {
    let s: SlotState | undefined;
    while (!(s = this.states.find((x) => x.heldFor === trialId && this.free(x, trialId)) ?? this.states.find((x) => this.free(x, trialId)))) {
      waiting();
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    s.busy = true;
    try {
      return await fn(s.slot);
    } finally {
      s.busy = false;
      s.heldFor = trialId;
      s.heldUntil = Date.now() + this.holdMs;
    }
  }

  /** Runs an evaluate on the named slot once it is not busy. */
  async evaluate<T>(slotId: string, trialId: string, fn: (slot: Slot) => Promise<T>): Promise<T> {
    const s = this.states.find((x) => x.slot.id === slotId);
    if (!s) throw new Error(`slot ${slotId} is not in this worker`);
    while (s.busy) await new Promise((r) => setTimeout(r, POLL_MS));
    s.busy = true;
    try {
      return await fn(s.slot);
    } finally {
      s.busy = false;
      if (s.heldFor === trialId) s.heldFor = null;
    }
  }
}
