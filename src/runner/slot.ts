// A worker slot: one GPU (or a share of the CPU), its own task queue for evaluate.
import { GPU_QUEUE, hostName } from '../config.js';

export interface Slot {
  id: string;
  queue: string;
  device: 'cpu' | 'cuda';
  cudaVisibleDevices: string | null;
  threads: number;
}

/** One slot per entry: "3" pins GPU 3; "0+1+2+3" is one slot holding four GPUs (for 8xH100 recipes that run torchrun). */
export function gpuSlots(gpus: string[], threadsPerSlot: number): Slot[] {
  return gpus.map((g) => slot(`gpu${g}`, 'cuda', g.split('+').join(','), threadsPerSlot));
}

export function cpuSlots(n: number, threadsPerSlot: number): Slot[] {
  return Array.from({ length: n }, (_, i) => slot(`cpu${i}`, 'cpu', null, threadsPerSlot));
}

function slot(name: string, device: 'cpu' | 'cuda', cuda: string | null, threads: number): Slot {
  const id = `${hostName()}-${name}`;
  return { id, queue: `${GPU_QUEUE}-${id}`, device, cudaVisibleDevices: cuda, threads };
}
