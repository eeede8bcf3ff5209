// Process-wide settings, all from the environment so the same code points at local or remote services.
import path from 'node:path';
import os from 'node:os';
import { repoRoot } from './repoRoot.js';

export { CONTROL_QUEUE, GPU_QUEUE } from './ids.js';

/** State folder: local service data, campaign repositories, trial checkouts. Ignored by git. */
export function lineageHome(): string {
  return path.resolve(process.env.LINEAGE_HOME ?? path.join(repoRoot(), '.lineage'));
}

export const DEFAULT_PYTHON = '/usr/bin/python3';

/** The interpreter that runs recipes and evaluators (Debian's python3 carries torch here). */
export function pythonPath(): string {
  return process.env.LINEAGE_PYTHON || DEFAULT_PYTHON;
}

export function temporalAddress(): string {
  return process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
}

export function temporalNamespace(): string {
  return process.env.TEMPORAL_NAMESPACE ?? 'default';
}

export function mongoUri(): string {
  return process.env.MONGODB_URI ?? 'mongodb://127.0.0.1:27017/';
}

export function mongoDbName(): string {
  return process.env.LINEAGE_DB ?? 'lineage';
}

export function hostName(): string {
  return (process.env.LINEAGE_HOST ?? os.hostname()).replace(/[^A-Za-z0-9_.-]/g, '-');
}
