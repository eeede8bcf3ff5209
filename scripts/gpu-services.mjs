// `node services.mjs <envFile>` (bundled by scripts/bundle.mjs): the local Temporal dev server
// and FerretDB on free ports under $LINEAGE_HOME/services, as `lineage services` starts them;
// their addresses go to <envFile> as TEMPORAL_ADDRESS=… and MONGODB_URI=… lines. Free ports,
// because a shared machine may already run another checkout's services on the defaults.
// Stays up until SIGTERM or SIGINT, then stops both.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { findFreePort, startLocalServices } from '../dist/src/services/local.js';
import { lineageHome } from '../dist/src/config.js';

const envFile = process.argv[2];
if (!envFile) {
  console.error('usage: node services.mjs <envFile>');
  process.exit(2);
}
const s = await startLocalServices({
  stateDir: path.join(lineageHome(), 'services'),
  temporalPort: await findFreePort(),
  uiPort: await findFreePort(),
  mongoPort: await findFreePort(),
  log: (line) => console.log(line),
});
writeFileSync(envFile, `TEMPORAL_ADDRESS=${s.temporalAddress}\nMONGODB_URI=${s.mongoUri}\n`);
console.log(`TEMPORAL_ADDRESS=${s.temporalAddress} MONGODB_URI=${s.mongoUri} UI ${s.uiUrl}`);
for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => void s.stop().then(() => process.exit(0)));
setInterval(() => undefined, 1 << 30);
