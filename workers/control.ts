// Control worker: campaign and trial workflows, and the stages that need no GPU.
// Run it with `lineage worker control`.
import { StageDeps } from '../src/stageDeps.js';
import { connectWorker, createControlWorker, sandboxOrRefuse } from '../src/workerHost.js';
import { temporalAddress } from '../src/config.js';

export async function runControlWorker(): Promise<void> {
  const sandbox = sandboxOrRefuse(); // preflight runs the size projection over trial files
  const deps = await StageDeps.connect();
  const connection = await connectWorker();
  const worker = await createControlWorker(deps, connection);
  console.log(`control worker on ${temporalAddress()}, queue ${worker.options.taskQueue}`);
  console.log(sandbox);
  await worker.run(); // returns after SIGINT/SIGTERM: the SDK shuts the worker down gracefully
  await connection.close();
  await deps.close();
}
