#!/usr/bin/env bash
# A real campaign on a machine that has PyTorch and git but no Node.js and no network
# (docs/gpu-check.md).
#
#   scripts/gpu-check.sh pack [--pack DIR] [--limit-mib N]
#       here: bundle the project, prepare the tasks' data, xz -9e the binaries, and split the
#       pieces into DIR/part1, DIR/part2, ... of at most N MiB each (default .lineage/gpu-pack, 60)
#   scripts/gpu-check.sh run [--cpu] [--pack DIR] [--out DIR] [--tasks a,b] [--trials N] [--budget-s S]
#       there (or here with --cpu): unpack into a temp dir, start the services and workers with the
#       unpacked node, run one short campaign per task, write exports, reports, logs, samples and
#       summary.md to DIR (default $OUT, else ./gpu-check-out)
set -euo pipefail

die() { echo "gpu-check: $*" >&2; exit 1; }
log() { echo "[gpu-check $(date -u +%H:%M:%S)] $*" >&2; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }

SELF="$(readlink -f "${BASH_SOURCE[0]}")"
cmd="${1:-}"; shift || true

# ---------------------------------------------------------------------------- pack
pack() {
  local root pack_dir limit_mib=60
  root="$(cd "$(dirname "$SELF")/.." && pwd)"
  pack_dir="$root/.lineage/gpu-pack"
  while [ $# -gt 0 ]; do
    case "$1" in
      --pack) pack_dir="$(readlink -f "$2")"; shift 2 ;;
      --limit-mib) limit_mib="$2"; shift 2 ;;
      *) die "pack: unknown option $1" ;;
    esac
  done
  local temporal="${LINEAGE_TEMPORAL_BIN:-$root/.lineage/bin/temporal}"
  local ferretdb="${LINEAGE_FERRETDB_BIN:-$root/.lineage/bin/ferretdb}"
  [ -x "$temporal" ] || die "no Temporal CLI at $temporal (run npm test once, or set LINEAGE_TEMPORAL_BIN)"
  [ -x "$ferretdb" ] || die "no FerretDB at $ferretdb (run npm test once, or set LINEAGE_FERRETDB_BIN)"
  local node; node="$(command -v node)" || die "node not on PATH"
  local cache="$root/.lineage/gpu-pack-cache" stage
  stage="$(mktemp -d /tmp/lineage-gpu-pack.XXXXXX)"
  mkdir -p "$cache" "$stage/pieces"
  trap 'rm -rf "$stage"' RETURN

  log "bundling the project (scripts/bundle.mjs)"
  (cd "$root" && node scripts/bundle.mjs "$stage/app" >&2)
  log "preparing the tasks' data (the project's own prepare, keyed by evaluator hash)"
  (cd "$root" && node --input-type=module -e "
    const { loadTask } = await import('./dist/src/task/spec.js');
    const { hashEvaluator } = await import('./dist/src/task/evaluatorHash.js');
    const { ensureTaskData } = await import('./dist/src/stages/prepareData.js');
    for (const name of ['golf-mini', 'chat-mini', 'bench-mini']) {
      const t = loadTask(name, 'cpu');
      console.error('  ' + await ensureTaskData(t, hashEvaluator(t.evaluatorDir), '$stage/home', '${LINEAGE_PYTHON:-/usr/bin/python3}'));
    }")
  local tarflags=(--sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner)
  tar "${tarflags[@]}" -cf "$stage/app.tar" -C "$stage" app
  # prepare.log names the temp folder: left out, so the same data gives the same tar (and cache hit)
  tar "${tarflags[@]}" --exclude=prepare.log -cf "$stage/data.tar" -C "$stage/home" data
  for b in node:"$node" temporal:"$temporal" ferretdb:"$ferretdb"; do
    cp "${b#*:}" "$stage/${b%%:*}"
    # strip only what carries symbols (re-stripping a stripped Go binary still rewrites it)
    if file -b "$stage/${b%%:*}" | grep -q 'not stripped'; then
      strip "$stage/${b%%:*}" 2>/dev/null || log "strip failed on ${b%%:*}: it travels unstripped"
    fi
  done
  # xz -9e is minutes per binary on a busy machine: keep each result by the input's sha256.
  local f key
  for f in node temporal ferretdb app.tar data.tar; do
    key="$(sha256sum "$stage/$f" | cut -c1-32)"
    if [ ! -f "$cache/$key.xz" ]; then
      log "xz -9e $f ($(mib "$(stat -c %s "$stage/$f")") MiB)"
      xz -9e -T1 -c "$stage/$f" > "$cache/$key.xz.tmp" && mv "$cache/$key.xz.tmp" "$cache/$key.xz"
    fi
    cp "$cache/$key.xz" "$stage/pieces/$f.xz"
  done
  if command -v bwrap >/dev/null; then cp "$(command -v bwrap)" "$stage/pieces/bwrap"; fi

  # First fit, largest first, into parts of at most limit_mib; the runner goes into every part.
  rm -rf "$pack_dir"; mkdir -p "$pack_dir"
  local limit=$((limit_mib * 1048576)) runner_bytes parts=0 name size placed i
  runner_bytes=$(stat -c %s "$SELF")
  declare -a used=()
  : > "$pack_dir/MANIFEST"
  while read -r size name; do
    placed=0
    for ((i = 0; i < parts; i++)); do
      if [ $((used[i] + size)) -le "$limit" ]; then placed=1; break; fi
    done
    if [ "$placed" = 0 ]; then
      i=$parts; parts=$((parts + 1)); used[i]=$runner_bytes
      [ $((runner_bytes + size)) -le "$limit" ] || die "$name alone is $(mib "$size") MiB, over the $limit_mib MiB limit"
      mkdir -p "$pack_dir/part$((i + 1))"
    fi
    used[i]=$((used[i] + size))
    mv "$stage/pieces/$name" "$pack_dir/part$((i + 1))/$name"
    echo "$name part$((i + 1)) $size" >> "$pack_dir/MANIFEST"
  done < <(for f in "$stage"/pieces/*; do echo "$(stat -c %s "$f") $(basename "$f")"; done | sort -rn)
  for ((i = 1; i <= parts; i++)); do cp "$SELF" "$pack_dir/part$i/gpu-check.sh"; cp "$pack_dir/MANIFEST" "$pack_dir/part$i/MANIFEST"; done

  echo "piece            part    MiB"
  awk '{ printf "%-16s %-6s %6.1f\n", $1, $2, $3 / 1048576; t += $3 } END { printf "%-16s %-6s %6.1f\n", "total", "", t / 1048576 }' "$pack_dir/MANIFEST"
  for ((i = 1; i <= parts; i++)); do echo "part$i: $(mib "$(du -cb "$pack_dir/part$i" | tail -1 | cut -f1)") MiB"; done
  local rel="${pack_dir#"$root"/}"
  echo "On the device, one run per part, back to back (a part sent earlier stays there for ~30 s):"
  for ((i = 1; i < parts; i++)); do echo "  run carry=[\"$rel/part$i\"]  command: ls -la $rel/part$i"; done
  echo "  run carry=[\"$rel/part$parts\"]  command: bash $rel/part$parts/gpu-check.sh run --out \$OUT"
}

# ---------------------------------------------------------------------------- run
piece() { # path of a piece from the manifest, or a clear error naming the part to send first
  local p; p="$(awk -v n="$1" '$1 == n { print $2 }' "$PACK/MANIFEST")"
  [ -n "$p" ] || { echo ""; return; }
  [ -f "$PACK/$p/$1" ] || die "$1 belongs to $p, which is not here: send $p in a run just before this one"
  echo "$PACK/$p/$1"
}

run() {
  local cpu=0 out="${OUT:-$PWD/gpu-check-out}" tasks="golf-mini,chat-mini,bench-mini" trials=2 budget_s=""
  PACK="$(dirname "$(dirname "$SELF")")"
  while [ $# -gt 0 ]; do
    case "$1" in
      --cpu) cpu=1; shift ;;
      --pack) PACK="$(readlink -f "$2")"; shift 2 ;;
      --out) out="$2"; shift 2 ;;
      --tasks) tasks="$2"; shift 2 ;;
      --trials) trials="$2"; shift 2 ;;
      --budget-s) budget_s="$2"; shift 2 ;;
      *) die "run: unknown option $1" ;;
    esac
  done
  [ -f "$PACK/MANIFEST" ] || die "no MANIFEST in $PACK (give --pack, the folder holding part1, part2 ...)"
  # The device allows 600 s a command: leave room for unpacking, start-up and collecting.
  [ -n "$budget_s" ] || { if [ "$cpu" = 1 ]; then budget_s=3600; else budget_s=480; fi; }
  local t_start; t_start=$(date +%s)
  local t_end=$((t_start + budget_s))
  mkdir -p "$out"; out="$(readlink -f "$out")"
  local W; W="$(mktemp -d /tmp/lineage-gpu-check.XXXXXX)"
  local R="$W/results"
  mkdir -p "$W/bin" "$W/tools" "$W/hostbin" "$W/home" "$R/logs" "$R/exports" "$R/reports"
  exec > >(tee -a "$R/gpu-check.log") 2>&1
  log "unpacking $PACK into $W"
  local t0; t0=$(date +%s)
  for b in node temporal ferretdb; do xz -dc "$(piece "$b.xz")" > "$W/bin/$b"; chmod +x "$W/bin/$b"; done
  tar -xJf "$(piece app.tar.xz)" -C "$W"
  tar -xJf "$(piece data.tar.xz)" -C "$W/home"
  local bw; bw="$(piece bwrap)"
  if ! command -v bwrap >/dev/null && [ -n "$bw" ]; then cp "$bw" "$W/tools/bwrap"; chmod +x "$W/tools/bwrap"; fi
  log "unpacked in $(($(date +%s) - t0)) s"

  # Every command of this host except node/npm: the run cannot fall back on a system Node.js.
  local d f
  IFS=: read -ra dirs <<< "$PATH"
  for d in "${dirs[@]}"; do
    [ -d "$d" ] || continue
    for f in "$d"/*; do
      case "${f##*/}" in node | nodejs | npm | npx | corepack) continue ;; esac
      [ -e "$W/hostbin/${f##*/}" ] || ln -s "$f" "$W/hostbin/${f##*/}"
    done
  done
  local python="${LINEAGE_PYTHON:-}"
  if [ -z "$python" ]; then if [ "$cpu" = 1 ]; then python=/usr/bin/python3; else python="$(command -v python3)"; fi; fi
  export PATH="$W/bin:$W/hostbin:$W/tools"
  unset TEMPORAL_ADDRESS MONGODB_URI NODE_PATH NODE_OPTIONS
  export LINEAGE_HOME="$W/home" LINEAGE_TEMPORAL_BIN="$W/bin/temporal" LINEAGE_FERRETDB_BIN="$W/bin/ferretdb" LINEAGE_PYTHON="$python"
  {
    echo "node: $(command -v node) $(node --version); every node on PATH: $(type -ap node | tr '\n' ' ')"
    echo "node_modules reachable from the app: $(cd "$W/app" && node -e "try { require.resolve('@temporalio/worker'); console.log('yes') } catch { console.log('no') }")"
    echo "python: $python ($("$python" -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available())' 2>&1 | tail -1))"
    echo "git: $(git --version)"
    echo "host: $(uname -srm), $(nproc) cores"
  } | tee "$R/environment.txt"

  # The probe the GPU worker makes (src/runner/sandbox.ts), with its error kept.
  local sandbox
  if bwrap --ro-bind / / --dev-bind /dev /dev --proc /proc --unshare-net --unshare-pid --die-with-parent true 2> "$W/bwrap.err"; then
    sandbox="bwrap works ($(command -v bwrap))"
  else
    sandbox="bwrap fails: $(command -v bwrap || echo 'not installed'): $(head -c 300 "$W/bwrap.err" | tr '\n' ' ')"
  fi
  echo "$sandbox" | tee "$R/sandbox.txt"

  local pids=()
  cleanup() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  }
  trap 'cleanup; collect; exit 143' TERM INT
  collect() {
    cp "$W/home/services/logs/"*.log "$R/logs/" 2>/dev/null || true
    node "$W/app/gpu-summary.mjs" "$R" > "$R/summary.md" 2> "$R/logs/summary.err" || log "summary failed: $(cat "$R/logs/summary.err")"
    cp "$R/summary.md" "$out/summary.md" 2>/dev/null || true
    cp "$R/gpu-check.log" "$out/gpu-check.log" 2>/dev/null || true
    tar -cJf "$out/gpu-check-results.tar.xz" -C "$W" results
    log "results: $out (summary.md, gpu-check.log, gpu-check-results.tar.xz); work folder $W"
  }

  (cd "$W/app" && exec node services.mjs "$W/services.env") > "$R/logs/services.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 120); do [ -s "$W/services.env" ] && break; sleep 1; done
  [ -s "$W/services.env" ] || { cat "$R/logs/services.log"; cleanup; die "services did not start"; }
  set -a; . "$W/services.env"; set +a
  log "services: $TEMPORAL_ADDRESS, $MONGODB_URI"

  local lineage=(node "$W/app/lineage.mjs") preset slots
  if [ "$cpu" = 1 ]; then preset=cpu; slots=(--slots 1 --threads 2); else preset=gpu; slots=(--gpus 0 --threads 4); fi
  (cd "$W/app" && exec "${lineage[@]}" worker control) > "$R/logs/control-worker.log" 2>&1 &
  pids+=($!)
  (cd "$W/app" && exec "${lineage[@]}" worker gpu "${slots[@]}") > "$R/logs/gpu-worker.log" 2>&1 &
  pids+=($!)

  if [ "$cpu" = 0 ] && command -v nvidia-smi >/dev/null; then
    nvidia-smi > "$R/nvidia-smi.txt" 2>&1 || true
    # epoch seconds first, so samples line up with the trials' stage times (UTC ISO) exactly
    (while :; do
      nvidia-smi --query-gpu=utilization.gpu,memory.used,power.draw --format=csv,noheader,nounits 2>/dev/null | sed "s/^/$(date +%s.%N), /"
      sleep 0.5
    done) > "$R/nvidia-smi.csv" &
    pids+=($!)
  else
    echo "no nvidia-smi samples: $([ "$cpu" = 1 ] && echo '--cpu rehearsal' || echo 'nvidia-smi not found')" > "$R/nvidia-smi.txt"
  fi

  local stamp task id n=0 ntasks now share deadline
  stamp="$(date -u +%m%d%H%M)"
  IFS=, read -ra task_list <<< "$tasks"
  ntasks=${#task_list[@]}
  for task in "${task_list[@]}"; do
    now=$(date +%s)
    [ "$now" -lt "$t_end" ] || { log "budget of $budget_s s spent: $task not started"; continue; }
    # An equal share of what is left: no trial of this task starts after its deadline.
    share=$(((t_end - now) / (ntasks - n)))
    deadline="$(date -u -d "@$((now + share))" +%Y-%m-%dT%H:%M:%SZ)"
    n=$((n + 1))
    id="gpu-check-$task-$stamp"
    log "campaign $id: $task, preset $preset, baseline + $trials trials, no trial starts after $deadline"
    (cd "$W/app" && timeout $((t_end - now)) "${lineage[@]}" start --task "$task" --id "$id" --preset "$preset" \
      --trials "$trials" --parallelism 1 --proposer offline --deadline "$deadline" --wait) > "$R/logs/campaign-$task.log" 2>&1 \
      || log "campaign $id did not finish within the budget (exit $?): exporting what was recorded"
    tail -5 "$R/logs/campaign-$task.log"
    (cd "$W/app" && "${lineage[@]}" export "$id" --out "$R/exports/$task" && "${lineage[@]}" report "$id" --out "$R/reports/$task.html") >> "$R/logs/export.log" 2>&1 \
      || log "export/report of $id failed: see logs/export.log"
  done
  log "campaigns done after $(($(date +%s) - t_start)) s"
  trap - TERM INT
  cleanup
  collect
}

case "$cmd" in
  pack) pack "$@" ;;
  run) run "$@" ;;
  *) sed -n '2,13p' "$SELF"; exit 2 ;;
esac
