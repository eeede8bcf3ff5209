// The whole environment a trial sees. Nothing is inherited from the worker, so no credential
// (ANTHROPIC_API_KEY, MONGODB_URI, cloud tokens) can reach model-written code.
import path from 'node:path';

interface TrialEnvOptions {
  checkout: string;
  runDir: string;
  dataDir: string;
  seed: number;
  device: 'cpu' | 'cuda';
  cudaVisibleDevices: string | null;
  threads: number;
  preset: string;
  taskEnv: Record<string, string>;
}

// Hardware hints only: some hosts need these for OpenBLAS to pick a working kernel.
const PASS_THROUGH = ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE'];

export function trialEnv(o: TrialEnvOptions): Record<string, string> {
  const tmp = path.join(o.checkout, '.tmp');
  const hints = Object.fromEntries(PASS_THROUGH.flatMap((k) => (process.env[k] ? [[k, process.env[k]!]] : [])));
  return {
    ...hints,
    PATH: '/usr/local/bin:/usr/bin:/bin',
    LANG: 'C.UTF-8',
    HOME: tmp,
    TMPDIR: tmp,
    PYTHONDONTWRITEBYTECODE: '1',
    // Bytecode is read and written only under the trial's own fresh checkout, never beside
    // shared sources (an evaluator's __pycache__ is invisible to the evaluator hash).
    PYTHONPYCACHEPREFIX: path.join(tmp, 'pycache'),
    USER: 'lineage-trial',
    PYTHONUNBUFFERED: '1',
    PYTHONHASHSEED: String(o.seed),
    OMP_NUM_THREADS: String(o.threads),
    MKL_NUM_THREADS: String(o.threads),
    OPENBLAS_NUM_THREADS: String(o.threads),
    OMP_WAIT_POLICY: 'PASSIVE',
    CUDA_VISIBLE_DEVICES: o.cudaVisibleDevices ?? '',
    LINEAGE_DEVICE: o.device,
    LINEAGE_PRESET: o.preset,
    LINEAGE_SEED: String(o.seed),
    LINEAGE_DATA_DIR: o.dataDir,
    LINEAGE_RUN_DIR: o.runDir,
    ...o.taskEnv,
  };
}
