#!/usr/bin/env bash
# Side by side, one go: eval-mode U-Net inference (forward only, BatchNorm on running
# statistics, no gradients) over the same feature cache in PyTorch
# (Benchmarks/bench_eval_torch.py: model.eval(), torch.no_grad(), oneDNN, 2 threads) and in
# this tool (`batvision bench eval`, the way `eval` predicts), alternating the two so that
# machine noise hits both, for the train benchmark's three configurations.
#
#   Benchmarks/run_eval_bench.sh [DATA_DIR] [SAMPLES]
# Needs a release build (make build) and a Python with torch and h5py in $PYTHON
# (default: /work/venv/bin/python). GEMM=openblas|onednn|auto picks batvision's engine;
# BV, PIN, THREADS: bench_env.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
source Benchmarks/bench_env.sh
DATA=${1:-/tmp/bench-eval-v2-120}
SAMPLES=${2:-120}
ROUNDS=${ROUNDS:-2}
GEMM=${GEMM:-auto}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

[ -f "$DATA/synth_hall/train.csv" ] || $BV synth --dataset batvisionv2 --out "$DATA" --samples "$SAMPLES" --seed 0
$BV ingest --dataset batvisionv2 --dataset_dir "$DATA" --manifest "$WORK/m.json" --quiet

# num_downs ngf images_size batch splits passes (5-15 s each, long enough to average out the
# host's noise: the small model passes 5 times over all 120 samples, unet_128 4 times over
# val + test, unet_256 3 times over test); CONFIGS="7 64 128 16 val,test 4" (';' between
# several) picks some.
IFS=';' read -r -a configs <<< "${CONFIGS:-6 16 64 32 train,val,test 5;7 64 128 16 val,test 4;8 64 256 8 test 3}"
for cfg in "${configs[@]}"; do
  set -- $cfg
  $BV featurize --dataset batvisionv2 --manifest "$WORK/m.json" --cache_dir "$WORK/cache$3" \
      --audio_format spectrogram --images_size "$3" --quiet >/dev/null
  cache=$(ls -d "$WORK"/cache"$3"/batvisionv2/*/ | head -n 1)
  splits=() pysplits=()
  for s in ${5//,/ }; do splits+=(--split "$s"); pysplits+=(--split "$s"); done
  echo "== num_downs $1 ngf $2 size $3 batch $4 splits $5"
  for r in $(seq "$ROUNDS"); do
    sync
    $PIN "$PYTHON" Benchmarks/bench_eval_torch.py --cache "$cache" --num_downs "$1" --ngf "$2" --batch "$4" --passes "$6" --threads "$THREADS" "${pysplits[@]}"
    $PIN $BV bench eval --cache "$cache" --num_downs "$1" --ngf "$2" --batch "$4" --passes "$6" --gemm "$GEMM" --threads "$THREADS" "${splits[@]}"
  done
done
