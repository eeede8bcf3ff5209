// Knobs are lines `NAME = value  # comment` in a recipe file: read them, and rewrite one value.
import type { Knob } from '../task/spec.js';
import type { Edit } from '../types.js';

const knobLine = (name: string) => new RegExp(`^(${name}\\s*=\\s*)([^#\\n]*?)(\\s*(#.*)?)$`, 'm');

export function readKnob(source: string, name: string): { line: string; value: string } | null {
  const m = knobLine(name).exec(source);
  return m ? { line: m[0], value: m[2]!.trim() } : null;
}

/** The edit that sets a knob's line to `to`, keeping its name, spacing and comment. */
export function knobEdit(knob: Knob, line: string, to: string): Edit {
  const replace = line.replace(knobLine(knob.name), (_m, head: string, _v: string, tail: string) => `${head}${to}${tail}`);
  return { file: knob.file, search: line, replace };
}

/** The declared knobs' values in a recipe, as written (knobs whose line is missing are left out). */
export function knobValues(files: Map<string, string>, knobs: Knob[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of knobs) {
    const v = files.has(k.file) ? readKnob(files.get(k.file)!, k.name) : null;
    if (v) out[k.name] = v.value;
  }
  return out;
}

export function formatKnobValue(x: number, type: 'int' | 'float', digits = 3): string {
  if (type === 'int') return String(Math.round(x));
  const s = Number(x.toPrecision(digits)).toString();
  return /[.e]/.test(s) ? s : s + '.0';
}
