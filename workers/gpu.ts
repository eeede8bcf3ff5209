// GPU worker: one slot per GPU, each pinned with CUDA_VISIBLE_DEVICES; on a CPU host, N slots.
// Run it with `lineage worker gpu --gpus 0,1` or `lineage worker gpu --slots 2 --threads 1`.
import { StageDeps } from '../src/stageDeps.js';
import { connectWorker, createSlotWorkers, sandboxOrRefuse } from '../src/workerHost.js';
import { cpuSlots, gpuSlots } from '../src/runner/slot.js';
import { temporalAddress } from '../src/config.js';

interface GpuWorkerOptions {
  gpus: string[] | null;
  slots: number;
  threads: number;
}

export async function runGpuWorker(o: GpuWorkerOptions): Promise<void> {
  const sandbox = sandboxOrRefuse(); // before any connection: a worker that cannot sandbox takes no trial
  const deps = await StageDeps.connect();
  const connection = await connectWorker();
  const slots = o.gpus ? gpuSlots(o.gpus, o.threads) : cpuSlots(o.slots, o.threads);
  const workers = await createSlotWorkers(deps, connection, slots);
  console.log(
    `gpu worker on ${temporalAddress()}: ${slots.map((s) => `${s.id} (${s.device}${s.cudaVisibleDevices !== null ? ` ${s.cudaVisibleDevices}` : ''})`).join(', ')}`,
  );
  console.log(sandbox);
  await Promise.all(workers.map((w) => w.run()));
  await connection.close();
  await deps.close();
}
