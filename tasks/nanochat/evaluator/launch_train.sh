#!/usr/bin/env bash
# Runs base_train with NANOCHAT_BASE_DIR inside the trial's run folder (the only writable place):
# links to the user's shards, tokenizer and eval bundle, and the checkpoints base_train writes.
#   launch_train.sh <data dir> <run dir> <command...>
set -euo pipefail
data="$1" run="$2"
shift 2
base="$run/nanochat_base"
mkdir -p "$base"
for d in base_data tokenizer eval_bundle; do ln -sfn "$data/$d" "$base/$d"; done
export NANOCHAT_BASE_DIR="$base" OMP_NUM_THREADS=1
exec "$@"
