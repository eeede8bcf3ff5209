// `lineage status`: a campaign's status query, readable in a terminal.
import type { CampaignStatus } from '../types.js';
import type { StageWait } from './stageWaits.js';
import { sig } from '../format.js';

const num = (x: number | null | undefined, digits = 4) => sig(x, digits);

function duration(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** used / limit (left), or just what was used where the budget sets no limit. */
function line(name: string, used: string, limit: string | null, left: string | null): string {
  return `  ${name.padEnd(9)} ${used}${limit === null ? '' : ` of ${limit} (${left} left)`}`;
}

/** `attempt 3 · waiting for MongoDB since 12:01:03` for a stage that is being retried. */
function waitText(w: StageWait | undefined): string {
  if (!w || (w.attempt <= 1 && !w.waitingFor)) return '';
  const since = w.since ? ` since ${w.since.slice(11, 19)}` : '';
  return ` · attempt ${w.attempt}${w.waitingFor ? ` · waiting for ${w.waitingFor}${since}` : ''}`;
}

export function formatStatus(s: CampaignStatus, now = Date.now(), waits: Map<number, StageWait> = new Map()): string {
  const out: string[] = [];
  out.push(`campaign ${s.campaignId} · task ${s.task} · ${s.state}${s.stoppedBy ? ` (${s.stoppedBy})` : ''}`);
  const slots = s.slots ? ` (${s.slots} slots, ${s.lookahead} ready per slot)` : '';
  out.push(`run ${s.run} · parallelism ${s.parallelism}${slots} · specialists by ${s.specialistChoice} · next trial #${s.nextIndex}`);
  out.push(`baseline ${num(s.baseline)} · best ${s.best ? `${num(s.best.score)} (trial #${s.best.index}, ${s.best.sha.slice(0, 10)})` : '—'}`);
  out.push('budget');
  out.push(line('trials', String(s.used.trials), String(s.budget.trials), String(s.left.trials)));
  out.push(line('GPU-hours', num(s.used.gpuHours), s.budget.gpuHours === undefined ? null : num(s.budget.gpuHours), num(s.left.gpuHours)));
  out.push(line('dollars', `$${num(s.used.dollars)}`, s.budget.dollars === undefined ? null : `$${num(s.budget.dollars)}`, `$${num(s.left.dollars)}`));
  out.push(line('time', duration(s.used.hours * 3600), s.budget.deadline ?? null, s.left.deadlineInS === null ? null : duration(s.left.deadlineInS)));
  const plateau = s.plateau
    ? [s.plateau.trials !== undefined ? `${s.plateau.trials} trials` : '', s.plateau.hours !== undefined ? `${s.plateau.hours} h` : '']
        .filter(Boolean)
        .join(' or ')
    : '';
  const sinceKeep = duration(Math.max(0, (now - Date.parse(s.lastKeepAt)) / 1000));
  out.push(`since last keep: ${s.trialsSinceKeep} trials, ${sinceKeep}${plateau ? ` (plateau stop after ${plateau})` : ''}`);
  const counts = Object.entries(s.counts).sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0));
  out.push(`finished ${s.finished}: ${counts.length ? counts.map(([k, v]) => `${k} ${v}`).join(', ') : 'none yet'}`);
  if (s.rerunAfterInfraError) out.push(`run again after infra_error: ${s.rerunAfterInfraError} (outage limit ${s.outageLimitMinutes ?? 30} min)`);
  out.push(`in flight ${s.inFlight.length}${s.inFlight.length ? ':' : ''}`);
  for (const t of [...s.inFlight].sort((a, b) => a.index - b.index)) {
    out.push(
      `  #${String(t.index).padStart(3)}  ${t.specialist.padEnd(10)} ${t.stage.padEnd(10)} for ${duration(Math.max(0, (now - Date.parse(t.since)) / 1000))}${waitText(waits.get(t.index))}`,
    );
  }
  return out.join('\n');
}
