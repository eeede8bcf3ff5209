// `node scripts/bundle.mjs <outDir>`: the built project as a folder that runs with a bare `node`
// and no node_modules (for machines without npm or a network, e.g. the GPU check machine).
//
//   <outDir>/package.json                 marks the app root (repoRoot() looks for it)
//   <outDir>/lineage.mjs                  the CLI, workers included (esbuild, one ESM file)
//   <outDir>/services.mjs                 scripts/gpu-services.mjs: local services on free ports
//   <outDir>/workflow-worker-thread.js    the SDK's workflow thread, which it starts by file name
//   <outDir>/workflow-bundle.js           the workflow code, bundled ahead by the SDK's own bundler
//   <outDir>/releases/<target>/index.node the Temporal core bridge (native, stripped)
//   <outDir>/tasks/                       the task folders (data, not code)
//   <outDir>/gpu-summary.mjs              scripts/gpu-summary.mjs (no dependencies)
//
// The SDK bundles workflow code with webpack + swc when a worker starts; neither travels. Its
// bundler module is replaced by one whose bundleWorkflowCode returns the bundle made here, by
// the real bundleWorkflowCode over the same dist/workflows/index.js, so src/ is unchanged.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { bundleWorkflowCode } from '@temporalio/worker';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.resolve(process.argv[2] ?? '');
if (!process.argv[2]) {
  console.error('usage: node scripts/bundle.mjs <outDir>');
  process.exit(2);
}
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });

const workflows = await bundleWorkflowCode({
  workflowsPath: path.join(root, 'dist/workflows/index.js'),
  logger: { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error },
});
writeFileSync(path.join(outDir, 'workflow-bundle.js'), workflows.code);

const PREBUILT_BUNDLER = `
const fs = require('node:fs');
const path = require('node:path');
exports.defaultWorkflowInterceptorModules = [];
exports.bundleWorkflowCode = async () => ({ code: fs.readFileSync(path.join(__dirname, 'workflow-bundle.js'), 'utf8'), sourceMap: '' });
exports.WorkflowCodeBundler = class { constructor() { throw new Error('this Lineage bundle carries prebuilt workflow code only (scripts/bundle.mjs)'); } };
`;
const prebuiltBundler = {
  name: 'prebuilt-workflow-bundler',
  setup(b) {
    b.onLoad({ filter: /@temporalio[\\/]worker[\\/]lib[\\/]workflow[\\/]bundler\.js$/ }, () => ({ contents: PREBUILT_BUNDLER, loader: 'js' }));
  },
};
// In one bundle every module shares import.meta.url, so the workers' "run me when I am the main
// script" checks would all fire inside the CLI: the bundle starts workers through the CLI only.
const workersAsModules = {
  name: 'workers-as-modules',
  setup(b) {
    b.onLoad({ filter: /dist[\\/]workers[\\/](control|gpu)\.js$/ }, (args) => {
      const code = readFileSync(args.path, 'utf8');
      const check = "import.meta.url === pathToFileURL(process.argv[1] ?? '').href";
      if (!code.includes(check)) throw new Error(`bundle: ${args.path} no longer has its main-script check; update scripts/bundle.mjs`);
      return { contents: code.replace(check, 'false'), loader: 'js' };
    });
  },
};

// CommonJS dependencies inside an ESM bundle need require, __filename and __dirname: the
// bundle's own, so that the core bridge and the workflow thread are found next to it.
const banner = [
  "import { createRequire as __lineageRequire } from 'node:module';",
  "import { fileURLToPath as __lineagePath } from 'node:url';",
  'const require = __lineageRequire(import.meta.url);',
  'const __filename = __lineagePath(import.meta.url);',
  "const __dirname = __lineagePath(new URL('.', import.meta.url));",
].join('\n');
// Optional add-ons that the mongodb driver and vega load only when installed.
const external = [
  'kerberos',
  '@mongodb-js/zstd',
  'snappy',
  'socks',
  'aws4',
  'mongodb-client-encryption',
  '@aws-sdk/credential-providers',
  'gcp-metadata',
  'canvas',
  '@swc/core',
  'webpack',
];
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  external,
  plugins: [prebuiltBundler, workersAsModules],
  logLevel: 'warning',
  legalComments: 'none',
};

// Two standalone ESM files (xz folds what they share): the CLI, and the free-port services starter.
for (const [name, entry] of [
  ['lineage', 'dist/src/cli/main.js'],
  ['services', 'scripts/gpu-services.mjs'],
]) {
  await build({ ...common, entryPoints: [path.join(root, entry)], format: 'esm', outfile: path.join(outDir, `${name}.mjs`), banner: { js: banner } });
}
await build({
  ...common,
  entryPoints: [path.join(root, 'node_modules/@temporalio/worker/lib/workflow/workflow-worker-thread.js')],
  format: 'cjs',
  outfile: path.join(outDir, 'workflow-worker-thread.js'),
});

const target = 'x86_64-unknown-linux-gnu';
const bridge = path.join(outDir, 'releases', target, 'index.node');
mkdirSync(path.dirname(bridge), { recursive: true });
cpSync(path.join(root, 'node_modules/@temporalio/core-bridge/releases', target, 'index.node'), bridge);
try {
  execFileSync('strip', ['--strip-unneeded', bridge]);
} catch {
  console.warn('bundle: strip not found; the core bridge travels unstripped');
}
// source-map (the SDK's workflow stack traces) reads its wasm from beside the bundle.
cpSync(path.join(root, 'node_modules/source-map/lib/mappings.wasm'), path.join(outDir, 'mappings.wasm'));
cpSync(path.join(root, 'scripts/gpu-summary.mjs'), path.join(outDir, 'gpu-summary.mjs'));
cpSync(path.join(root, 'tasks'), path.join(outDir, 'tasks'), { recursive: true, filter: (p) => !p.includes('__pycache__') });
// No "type": "module": the .js files here are CommonJS (the workflow thread), lineage.mjs is ESM.
writeFileSync(
  path.join(outDir, 'package.json'),
  `${JSON.stringify({ name: 'lineage-bundle', private: true, description: 'made by scripts/bundle.mjs' }, null, 2)}\n`,
);
console.log(`bundle: ${outDir}`);
