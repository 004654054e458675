#!/usr/bin/env bash
# The main job on the synthetic default: write a synthetic Batvision V2 dataset (once),
# ingest it into a manifest, validate the files against it, and featurize it into the HDF5
# cache with the V2 defaults of conf/dataset/batvisionv2.yaml. Rerunning skips the
# synthesis and reuses the finished cache.
set -euo pipefail
cd "$(dirname "$0")/.."
BV=.build/release/batvision
DATA=out/synthetic/batvisionv2
MANIFEST=data-manifests/batvisionv2-synthetic.json
SAMPLES=${SAMPLES:-300}

# synth writes the split CSVs last: their presence means a finished dataset.
if [ ! -f "$DATA/synth_hall/train.csv" ]; then
  rm -rf "$DATA"
  $BV synth --dataset batvisionv2 --out "$DATA" --samples "$SAMPLES" --seed 0
else
  echo "synth: $DATA already written, reusing it"
fi
$BV ingest --dataset batvisionv2 --dataset_dir "$DATA" --manifest "$MANIFEST"
$BV validate --manifest "$MANIFEST" --dataset_dir "$DATA"
$BV featurize --dataset batvisionv2 --manifest "$MANIFEST"
