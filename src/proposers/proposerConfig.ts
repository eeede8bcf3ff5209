// The shape of a campaign's `proposer` field, checked in the workflow (pure, no I/O): a bad one
// fails the campaign at once, naming the field.
import type { ProposerConfig } from '../types.js';

const PROPOSER_KINDS = ['offline', 'optuna', 'replay', 'claude'] as const;
const SAMPLERS = ['tpe', 'cmaes'];

function optunaError(o: unknown, field: string): string | null {
  if (!o || typeof o !== 'object') return `${field}: {"kind":"optuna","sampler":"tpe"|"cmaes"}`;
  const c = o as { kind?: unknown; sampler?: unknown };
  if (c.kind !== 'optuna') return `${field}.kind: optuna`;
  if (c.sampler !== undefined && !SAMPLERS.includes(c.sampler as string)) return `${field}.sampler: tpe (default) or cmaes`;
  return null;
}

export function proposerConfigError(p: ProposerConfig | undefined): string | null {
  if (!p || !(PROPOSER_KINDS as readonly string[]).includes(p.kind)) return `proposer.kind: one of ${PROPOSER_KINDS.join(', ')}`;
  if (p.kind === 'replay' && !Array.isArray(p.proposals)) return 'proposer.proposals: a list of proposals';
  if (p.kind === 'optuna') return optunaError(p, 'proposer');
  if (p.kind === 'claude' && p.optimizer !== undefined) {
    if (p.lineage === false) return 'proposer.optimizer: the hybrid arm shows its suggestion in the lineage view, so it needs lineage (drop lineage: false)';
    return optunaError(p.optimizer, 'proposer.optimizer');
  }
  return null;
}
