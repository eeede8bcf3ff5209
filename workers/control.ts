// Control worker: campaign and trial workflows, and the stages that need no GPU.
import { pathToFileURL } from 'node:url';
import { Runtime } from '../src/runtime.js';
import { connectWorker, createControlWorker, sandboxOrRefuse } from '../src/workerHost.js';
import { temporalAddress } from '../src/config.js';

export async function runControlWorker(): Promise<void> {
  const sandbox = sandboxOrRefuse(); // preflight runs the size projection over trial files
  const rt = await Runtime.connect();
  const connection = await connectWorker();
  const worker = await createControlWorker(rt, connection);
  console.log(`control worker on ${temporalAddress()}, queue ${worker.options.taskQueue}`);
  console.log(sandbox);
  await worker.run(); // returns after SIGINT/SIGTERM: the SDK shuts the worker down gracefully
  await connection.close();
  await rt.close();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (process.argv.includes('--no-sandbox')) process.env.LINEAGE_SANDBOX = 'off';
  runControlWorker().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
