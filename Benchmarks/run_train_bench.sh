#!/usr/bin/env bash
# Side by side, one go: a U-Net training step (forward, Combined loss, backward, clip,
# AdamW) in PyTorch (`bench_reference.py train`, oneDNN, 2 threads) and in this tool
# (`batvision bench train`, OpenBLAS), for the issue's three configurations, alternating
# the two so that machine noise hits both. Ends with peak RSS for unet_256 batch 8.
#
#   Benchmarks/run_train_bench.sh
# Needs a release build (make build) and a Python with torch in $PYTHON
# (default: /work/venv/bin/python); see ../shared/reference.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-/work/venv/bin/python}
REF=${REF:-../shared/reference/bench_reference.py}
BV=.build/release/batvision
ROUNDS=${ROUNDS:-2}

configs=("6 16 64 32 20" "7 64 128 16 4" "8 64 256 8 4")
for cfg in "${configs[@]}"; do
  set -- $cfg
  echo "== num_downs $1 ngf $2 size $3 batch $4"
  for r in $(seq "$ROUNDS"); do
    "$PYTHON" "$REF" train --num_downs "$1" --ngf "$2" --size "$3" --batch "$4" --steps "$5" --warmup 2
    $BV bench train --num_downs "$1" --ngf "$2" --size "$3" --batch "$4" --steps "$5" --warmup 2
  done
done
echo "== peak RSS, unet_256 ngf 64 batch 8"
/usr/bin/time -f "pytorch peak RSS %M KB" "$PYTHON" "$REF" train --num_downs 8 --ngf 64 --size 256 --batch 8 --steps 2 --warmup 1
/usr/bin/time -f "batvision peak RSS %M KB" $BV bench train --num_downs 8 --ngf 64 --size 256 --batch 8 --steps 2 --warmup 1
