// The statuses a blackboard results.tsv may carry, and the label each becomes on import. Our own
// exports write labels, which map to themselves; the paper's released runs (cxcscmu/Auto-Research-
// Recipes release_artifacts) also write the statuses below. The original is kept on the trial
// document as `sourceStatus`. README "lineage import" shows this table.
import { LABELS, type Label } from '../types.js';

export const RELEASE_STATUSES: Record<string, { label: Label; why: string }> = {
  baseline: { label: 'keep', why: 'the calibrated seed recipe, row 000: our campaigns record their baseline as a keep' },
  disqualified: { label: 'gate_miss', why: 'CIFAR: mean accuracy over n seeds below the 0.96 gate (train_s blanked)' },
  harness_abort: { label: 'infra_error', why: "Parameter Golf: quarantined by the harness after a scheduler-side failure, not the recipe's fault" },
};

/** The label for a status, or null when it is neither a label nor a release status. */
export function labelOf(status: string): Label | null {
  if ((LABELS as readonly string[]).includes(status)) return status as Label;
  return RELEASE_STATUSES[status]?.label ?? null;
}
