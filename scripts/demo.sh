#!/usr/bin/env bash
# The main job on the synthetic default: write a synthetic Batvision V2 dataset (once),
# ingest it into a manifest, validate the files against it, featurize it into the HDF5
# cache with the V2 defaults of conf/dataset/batvisionv2.yaml, train a small U-Net on
# 64x64 features and evaluate it on the test split. Rerunning skips the synthesis and
# reuses the finished caches.
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

# Train a small U-Net (6 levels, ngf 16) on 64x64 features of the same dataset: a few
# minutes on 2 cores. The run is started over each time (--overwrite) so a rerun of the
# main job is the same experiment.
SMALL=(--dataset batvisionv2 --manifest "$MANIFEST" --images_size 64)
# What names the run (eval finds it by these), then the model and training settings.
RUN=(--batch_size 32 --learning_rate 0.002 --experiment_name demo --output_dir out)
$BV featurize "${SMALL[@]}"
$BV train "${SMALL[@]}" "${RUN[@]}" --num_downs 6 --ngf 16 --epochs ${EPOCHS:-25} --validation_iter 5 \
  --saving_checkpoints 10 --save_best_model --best_metric rmse --overwrite
# The paper's metrics on the test split, beside the constant predictor (the training
# split's per-pixel mean depth).
$BV eval --dataset batvisionv2 --manifest "$MANIFEST" "${RUN[@]}" --best --stat_dir out/stats

# The guide's V1 experiment matrix (experiments/batvisionv1-guide.yaml: the base run, the
# lambda, loss-weight, validation, learning-rate, criterion and waveform runs, and the
# four-step sequence), shrunk with --set to a small U-Net on a synthetic V1 dataset, then
# compared side by side (out/experiments/comparison: runs.md, runs.csv, curves as PNG).
# Rerunning skips the finished runs. W&B logs offline when python3 has the client.
V1DATA=out/synthetic/batvisionv1
V1MANIFEST=data-manifests/batvisionv1-synthetic.json
if [ ! -f "$V1DATA/test.csv" ]; then  # written last
  rm -rf "$V1DATA"
  $BV synth --dataset batvisionv1 --out "$V1DATA" --samples "${V1_SAMPLES:-120}" --seed 0
else
  echo "synth: $V1DATA already written, reusing it"
fi
$BV ingest --dataset batvisionv1 --dataset_dir "$V1DATA" --manifest "$V1MANIFEST"
WANDB=(--set use_wandb=false)
if python3 -c "import wandb" 2>/dev/null; then WANDB=(--set wandb_mode=offline); fi
# Batch 4 for 25 epochs: 500 steps, enough for every run to beat the constant predictor
# (at batch 16 for 10 epochs, 50 steps, none did: BatchNorm's running statistics had not
# settled); about a minute on 2 cores.
V1_BATCH=${V1_BATCH:-4}
SHRINK=(--set manifest="$V1MANIFEST" --set num_downs=5 --set ngf=8 --set images_size=64 --set epochs=${V1_EPOCHS:-25}
        --set batch_size=$V1_BATCH --set output_dir=out/experiments "${WANDB[@]}")
$BV experiments run experiments/batvisionv1-guide.yaml "${SHRINK[@]}"
# The learning-rate sweep on the test split, for the depth-binned comparison.
for lr in 0.0005 0.001 0.002; do
  name=base_v1_lr_$lr; [ "$lr" = 0.001 ] && name=base_v1_default
  $BV eval --dataset batvisionv1 --manifest "$V1MANIFEST" --images_size 64 --learning_rate $lr --batch_size $V1_BATCH \
    --experiment_name $name --output_dir out/experiments --stat_dir out/experiments/stats > /dev/null
done
# Every run must beat the constant predictor: the demo fails (exit 1) when its matrix stops learning.
$BV compare --logs out/experiments/logs --stat_dir out/experiments/stats --out out/experiments/comparison --require_beating_constant
