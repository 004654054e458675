#!/usr/bin/env bash
# Featurize a dataset as a Slurm job array (one task per shard), then merge the shards
# in one job that starts only when every shard succeeded (afterok).
#
#   scripts/slurm/featurize_array.sh --shards N [options] -- FEATURIZE FLAGS...
#   scripts/slurm/featurize_array.sh --shards 16 --partition cpu --cpus 8 --time 02:00:00 -- \
#       --dataset batvisionv2 --manifest data-manifests/batvisionv2-BatvisionV2.json --cache_dir /scratch/cache
#
# Task K of the array runs `batvision featurize FLAGS --shard K/N` (K = SLURM_ARRAY_TASK_ID,
# 0..N-1): crash-safe, and a finished shard is skipped, so `scontrol requeue` or a second
# submission only redoes what is missing. The merge job runs
# `batvision merge --cache "$(batvision featurize FLAGS --print_cache_dir)"`.
#
# Options:
#   --shards N         number of shards (required)
#   --batvision PATH   the binary on the compute nodes (default: batvision)
#   --partition P, --account A, --time T, --cpus C (per task), --mem M, --max_parallel K
#                      (at most K array tasks at once: --array=0-(N-1)%K)
#   --log_dir D        where the jobs' logs go (default: logs/slurm)
#   --copy             merge by copying the shards instead of virtual datasets
#   --dry-run          print the sbatch commands instead of submitting them
# Exit status: 0 submitted (or printed), 64 usage error, else sbatch's.
set -euo pipefail

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 64; }

SHARDS="" BATVISION="batvision" PARTITION="" ACCOUNT="" TIME="" CPUS="" MEM="" MAXPAR=""
LOG_DIR="logs/slurm" COPY=0 DRY=0
while [ $# -gt 0 ]; do
  case "$1" in
    --shards) SHARDS="${2:-}"; shift 2 ;;
    --batvision) BATVISION="${2:-}"; shift 2 ;;
    --partition) PARTITION="${2:-}"; shift 2 ;;
    --account) ACCOUNT="${2:-}"; shift 2 ;;
    --time) TIME="${2:-}"; shift 2 ;;
    --cpus) CPUS="${2:-}"; shift 2 ;;
    --mem) MEM="${2:-}"; shift 2 ;;
    --max_parallel) MAXPAR="${2:-}"; shift 2 ;;
    --log_dir) LOG_DIR="${2:-}"; shift 2 ;;
    --copy) COPY=1; shift ;;
    --dry-run|--dry_run) DRY=1; shift ;;
    -h|--help) usage ;;
    --) shift; break ;;
    *) echo "featurize_array.sh: unknown option $1 (featurize flags go after --)" >&2; exit 64 ;;
  esac
done
FLAGS=("$@")
case "$SHARDS" in ''|*[!0-9]*) echo "featurize_array.sh: --shards N (a whole number >= 1) is required" >&2; exit 64 ;; esac
[ "$SHARDS" -ge 1 ] || { echo "featurize_array.sh: --shards must be at least 1" >&2; exit 64; }
has_dataset=0
for f in "${FLAGS[@]+"${FLAGS[@]}"}"; do [ "$f" = "--dataset" ] && has_dataset=1; done
[ "$has_dataset" = 1 ] || { echo "featurize_array.sh: the featurize flags after -- need --dataset" >&2; exit 64; }

# Shell quoting for the printed and wrapped commands: single quotes when needed (sq),
# double quotes with \ " $ ` escaped (dq).
sq() { case "$1" in ''|*[!A-Za-z0-9_./:=%@+,-]*) printf "'%s'" "${1//\'/\'\\\'\'}" ;; *) printf '%s' "$1" ;; esac; }
dq() { local s="$1"; s=${s//\\/\\\\}; s=${s//\"/\\\"}; s=${s//\$/\\\$}; s=${s//\`/\\\`}; printf '"%s"' "$s"; }
# The featurize command as one shell-quoted string (paths with spaces survive --wrap).
Q_BV=$(sq "$BATVISION")
Q_FLAGS=""
for f in "${FLAGS[@]}"; do Q_FLAGS+=" $(sq "$f")"; done
FEATURIZE="$Q_BV featurize$Q_FLAGS"

COMMON=()
[ -n "$PARTITION" ] && COMMON+=(--partition="$PARTITION")
[ -n "$ACCOUNT" ] && COMMON+=(--account="$ACCOUNT")
[ -n "$TIME" ] && COMMON+=(--time="$TIME")
[ -n "$MEM" ] && COMMON+=(--mem="$MEM")

ARRAY="0-$((SHARDS - 1))"
[ -n "$MAXPAR" ] && ARRAY+="%$MAXPAR"
ARRAY_ARGS=(--parsable --job-name=batvision-featurize --array="$ARRAY" "${COMMON[@]+"${COMMON[@]}"}")
[ -n "$CPUS" ] && ARRAY_ARGS+=(--cpus-per-task="$CPUS")
ARRAY_ARGS+=(--output="$LOG_DIR/featurize-%A_%a.out")
SHARD_CMD="$FEATURIZE --quiet --shard \${SLURM_ARRAY_TASK_ID}/$SHARDS"

MERGE_ARGS=(--parsable --job-name=batvision-merge "${COMMON[@]+"${COMMON[@]}"}" --output="$LOG_DIR/merge-%j.out")
MERGE_CMD="KEY_DIR=\$($FEATURIZE --print_cache_dir) && $Q_BV merge --cache \"\$KEY_DIR\""
[ "$COPY" = 1 ] && MERGE_CMD+=" --copy"

quote_all() { local out="" a; for a in "$@"; do out+=" $(sq "$a")"; done; printf '%s' "${out# }"; }

if [ "$DRY" = 1 ]; then
  echo "# $SHARDS shards of: $FEATURIZE"
  echo "mkdir -p $(sq "$LOG_DIR")"
  echo "ARRAY_JOB=\$(sbatch $(quote_all "${ARRAY_ARGS[@]}") --wrap=$(dq "$SHARD_CMD"))"
  echo "sbatch $(quote_all "${MERGE_ARGS[@]}") --dependency=afterok:\$ARRAY_JOB --wrap=$(dq "$MERGE_CMD")"
  exit 0
fi

command -v sbatch >/dev/null || { echo "featurize_array.sh: sbatch not found (use --dry-run to see the commands)" >&2; exit 2; }
mkdir -p "$LOG_DIR"
ARRAY_JOB=$(sbatch "${ARRAY_ARGS[@]}" --wrap="$SHARD_CMD")
ARRAY_JOB=${ARRAY_JOB%%;*}
MERGE_JOB=$(sbatch "${MERGE_ARGS[@]}" --dependency=afterok:"$ARRAY_JOB" --wrap="$MERGE_CMD")
MERGE_JOB=${MERGE_JOB%%;*}
echo "submitted featurize array job $ARRAY_JOB ($SHARDS tasks) and merge job $MERGE_JOB (after every shard succeeds)"
echo "logs: $LOG_DIR/featurize-${ARRAY_JOB}_<K>.out, $LOG_DIR/merge-$MERGE_JOB.out"
