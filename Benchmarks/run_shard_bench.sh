#!/usr/bin/env bash
# Featurize of one synthetic V2 dataset (4,000 samples, 180x320 depth maps) in one process
# vs 4 shards on a Dask LocalCluster of 2 workers (the driver of python/, merge included),
# and merge alone (virtual datasets, --copy). Release build; needs .venv-py (make test-python).
# Each run twice, caches removed before each; prints wall seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
BV=$PWD/.build/release/batvision
W=${WORK:-out/scale}
PY=${PYTHON:-.venv-py/bin/python}
[ -f "$W/manifest.json" ] || {
  $BV synth --dataset batvisionv2 --out "$W/data" --samples 4000 --depth_height 180 --depth_width 320 --seed 3 > /dev/null
  $BV ingest --dataset batvisionv2 --dataset_dir "$W/data" --manifest "$W/manifest.json" --quiet > /dev/null
}
F=(--dataset batvisionv2 --manifest "$W/manifest.json")
secs() { local s=$(date +%s.%N); "$@" > /dev/null 2>&1; echo "$(date +%s.%N) - $s" | bc; }
lscpu | grep -E "Model name" ; nproc
for round in 1 2; do
  rm -rf "$W/c1" "$W/c4"
  one=$(secs $BV featurize "${F[@]}" --cache_dir "$W/c1" --quiet)
  four=$(secs $PY -m batvision_cache.featurize_dask --manifest "$W/manifest.json" --shards 4 --workers 2 --batvision "$BV" --cache_dir "$W/c4")
  key=$($BV featurize "${F[@]}" --cache_dir "$W/c4" --print_cache_dir)
  rm -f "$key/features.h5"; virtual=$(secs $BV merge --cache "$key")
  rm -f "$key/features.h5"; copy=$(secs $BV merge --cache "$key" --copy)
  echo "round $round: 1 process ${one} s; 4 shards on 2 Dask workers + merge ${four} s; merge virtual ${virtual} s, --copy ${copy} s"
done
python3 Tests/interop/compare_caches.py "$W/c1"/batvisionv2/*/features.h5 "$key/features.h5"
