#!/usr/bin/env bash
# Side by side, one go: a U-Net training step (forward, Combined loss, backward, clip,
# AdamW) in PyTorch (`bench_reference.py train`, oneDNN, 2 threads) and in this tool
# (`batvision bench train`, OpenBLAS), for the issue's three configurations, alternating
# the two so that machine noise hits both. Ends with peak RSS for unet_256 batch 8.
#
#   Benchmarks/run_train_bench.sh
# Needs a release build (make build) and a Python with torch in $PYTHON
# (default: /work/venv/bin/python); see ../shared/reference. GEMMS="auto openblas onednn"
# times each of batvision's engines in turn (default: auto); BV, PIN, THREADS: bench_env.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
source Benchmarks/bench_env.sh
REF=${REF:-../shared/reference/bench_reference.py}
ROUNDS=${ROUNDS:-2}
GEMMS=${GEMMS:-auto}

# num_downs ngf size batch steps; CONFIGS="8 64 256 8 4" (';' between several) picks some.
# The small model takes 100 steps (about 4-6 s a side): with 20, a round lasted under a
# second and one scheduling hiccup on this shared 2-core host moved its ratio by 30 %.
IFS=';' read -r -a configs <<< "${CONFIGS:-6 16 64 32 100;7 64 128 16 4;8 64 256 8 4}"
for cfg in "${configs[@]}"; do
  set -- $cfg
  echo "== num_downs $1 ngf $2 size $3 batch $4"
  for r in $(seq "$ROUNDS"); do
    $PIN "$PYTHON" "$REF" train --num_downs "$1" --ngf "$2" --size "$3" --batch "$4" --steps "$5" --warmup 2 --threads "$THREADS"
    for g in $GEMMS; do
      $PIN $BV bench train --num_downs "$1" --ngf "$2" --size "$3" --batch "$4" --steps "$5" --warmup 2 --threads "$THREADS" --gemm "$g"
    done
  done
done
echo "== peak RSS, unet_256 ngf 64 batch 8"
peak_rss pytorch $PIN "$PYTHON" "$REF" train --num_downs 8 --ngf 64 --size 256 --batch 8 --steps 2 --warmup 1 --threads "$THREADS"
for g in $GEMMS; do
  peak_rss "batvision $g" $PIN $BV bench train --num_downs 8 --ngf 64 --size 256 --batch 8 --steps 2 --warmup 1 --threads "$THREADS" --gemm "$g"
done
