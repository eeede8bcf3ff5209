import { readdirSync, readFileSync } from 'node:fs';

/** Live processes whose command line contains `needle`; a zombie waiting for its reaper is dead. */
export function processesRunning(needle: string): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(needle) && stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
      } catch {
        return false;
      }
    })
    .map(Number);
}
