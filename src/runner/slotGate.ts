// One slot runs one stage at a time. After a trial's train, the slot is held for that trial's
// evaluate (which arrives on the slot's own queue a moment later), so the next train pulled
// from the shared queue cannot jump in between and leave the evaluate waiting a whole run.
export class SlotGate {
  private tail: Promise<void> = Promise.resolve();
  private heldFor: string | null = null;
  private heldUntil = 0;

  constructor(private readonly holdMs = 60_000) {}

  private async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const before = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((r) => (release = r));
    await before;
    try {
      return await fn();
    } finally {
      release();
    }
  }

  async train<T>(trialId: string, fn: () => Promise<T>, heartbeat: () => void = () => {}): Promise<T> {
    while (this.heldFor !== null && this.heldFor !== trialId && Date.now() < this.heldUntil) {
      heartbeat();
      await new Promise((r) => setTimeout(r, 200));
    }
    return this.exclusive(async () => {
      try {
        return await fn();
      } finally {
        this.heldFor = trialId;
        this.heldUntil = Date.now() + this.holdMs;
      }
    });
  }

  async evaluate<T>(trialId: string, fn: () => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      try {
        return await fn();
      } finally {
        if (this.heldFor === trialId) this.heldFor = null;
      }
    });
  }
}

const gates = new Map<string, SlotGate>();

export function gateFor(slotId: string): SlotGate {
  let g = gates.get(slotId);
  if (!g) gates.set(slotId, (g = new SlotGate()));
  return g;
}
