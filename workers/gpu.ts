// GPU worker: one slot per GPU, each pinned with CUDA_VISIBLE_DEVICES; on a CPU host, N slots.
// Usage: node dist/workers/gpu.js --gpus 0,1   |   node dist/workers/gpu.js --slots 2 --threads 1   [--no-sandbox: UNSAFE]
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { Runtime } from '../src/runtime.js';
import { connectWorker, createSlotWorkers, sandboxOrRefuse } from '../src/workerHost.js';
import { cpuSlots, gpuSlots } from '../src/runner/slot.js';
import { temporalAddress } from '../src/config.js';

export interface GpuWorkerOptions {
  gpus: string[] | null;
  slots: number;
  threads: number;
}

export async function runGpuWorker(o: GpuWorkerOptions): Promise<void> {
  const sandbox = sandboxOrRefuse(); // before any connection: a worker that cannot sandbox takes no trial
  const rt = await Runtime.connect();
  const connection = await connectWorker();
  const slots = o.gpus ? gpuSlots(o.gpus, o.threads) : cpuSlots(o.slots, o.threads);
  const workers = await createSlotWorkers(rt, connection, slots);
  console.log(`gpu worker on ${temporalAddress()}: ${slots.map((s) => `${s.id} (${s.device}${s.cudaVisibleDevices !== null ? ` ${s.cudaVisibleDevices}` : ''})`).join(', ')}`);
  console.log(sandbox);
  await Promise.all(workers.map((w) => w.run()));
  await connection.close();
  await rt.close();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { gpus: { type: 'string' }, slots: { type: 'string', default: '1' }, threads: { type: 'string', default: '1' }, 'no-sandbox': { type: 'boolean' } } });
  if (values['no-sandbox']) process.env.LINEAGE_SANDBOX = 'off';
  runGpuWorker({ gpus: values.gpus ? values.gpus.split(',') : null, slots: Number(values.slots), threads: Number(values.threads) }).catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
