// What train leaves for evaluation: the files task.yaml declares as outputs, copied out of the
// run folder by the harness the moment train ends. Regular files only (no links, devices or
// folders), under a total size cap; the checkout train ran in is then deleted, so nothing train
// wrote elsewhere (a rewritten surface file, a start-up hook, weights stashed in a cache) reaches
// the evaluation.
import { chmodSync, copyFileSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import picomatch from 'picomatch';

interface OutputsSpec {
  files: string[];
  max_bytes: number;
}

export interface CollectedOutputs {
  files: string[];
  bytes: number;
  /** Why a file was left behind: shown in the log and to the proposer. */
  refused: string[];
}

function walk(root: string, rel = ''): string[] {
  let entries;
  try {
    entries = readdirSync(path.join(root, rel), { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => {
    const p = rel ? `${rel}/${e.name}` : e.name;
    return e.isDirectory() ? walk(root, p) : [p];
  });
}

export function collectOutputs(runDir: string, dest: string, spec: OutputsSpec): CollectedOutputs {
  const wanted = picomatch(spec.files, { dot: false });
  mkdirSync(dest, { recursive: true, mode: 0o755 });
  const out: CollectedOutputs = { files: [], bytes: 0, refused: [] };
  for (const rel of walk(runDir)
    .filter((p) => wanted(p))
    .sort()) {
    const src = path.join(runDir, rel);
    const st = lstatSync(src);
    if (!st.isFile()) {
      out.refused.push(`${rel}: not a regular file`);
      continue;
    }
    if (out.bytes + st.size > spec.max_bytes) {
      out.refused.push(`${rel}: ${st.size} bytes would pass the outputs cap of ${spec.max_bytes}`);
      continue;
    }
    mkdirSync(path.dirname(path.join(dest, rel)), { recursive: true, mode: 0o755 });
    copyFileSync(src, path.join(dest, rel));
    chmodSync(path.join(dest, rel), 0o644); // the worker's file now: readable by the runner, writable by no trial
    out.files.push(rel);
    out.bytes += st.size;
  }
  return out;
}

/** Bytes of every regular file under dir: what a model runner given that folder can read. */
export function folderBytes(dir: string): number {
  return walk(dir).reduce((a, rel) => {
    const st = lstatSync(path.join(dir, rel));
    return a + (st.isFile() ? st.size : 0);
  }, 0);
}
