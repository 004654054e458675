#!/usr/bin/env bash
# "It learns": a synthetic V2 dataset of 1,200 samples (840 train / 180 val / 180 test,
# split by room), 64x64 mel features, a 6-level ngf-16 U-Net trained 30 epochs (about
# 2 minutes on 2 cores), evaluated on the test split with the best validation checkpoint.
# Passes when the model's test RMSE is at least 15% below the constant predictor's (the
# training split's per-pixel mean depth). Release build; work folder: ${WORK:-out/learning}.
set -euo pipefail
cd "$(dirname "$0")/.."
BV=.build/release/batvision
WORK=${WORK:-out/learning}
mkdir -p "$WORK"
if [ ! -f "$WORK/data/synth_hall/train.csv" ]; then
  rm -rf "$WORK/data"
  $BV synth --dataset batvisionv2 --out "$WORK/data" --samples 1200 --depth_height 180 --depth_width 320 --seed 7
fi
$BV ingest --dataset batvisionv2 --dataset_dir "$WORK/data" --manifest "$WORK/manifest.json"
F=(--dataset batvisionv2 --manifest "$WORK/manifest.json" --cache_dir "$WORK/cache" --images_size 64)
R=(--batch_size 32 --learning_rate 0.002 --experiment_name learning --output_dir "$WORK")
$BV featurize "${F[@]}" --quiet
$BV train "${F[@]}" "${R[@]}" --num_downs 6 --ngf 16 --epochs 30 --validation_iter 2 --saving_checkpoints 10 --save_best_model --best_metric rmse --overwrite
$BV eval --dataset batvisionv2 --manifest "$WORK/manifest.json" --cache_dir "$WORK/cache" "${R[@]}" --best --stat_dir "$WORK/stats" | tee "$WORK/eval.txt"
python3 - "$WORK/stats/unet_baseline_batvisionv2_BS32_Lr0.002_AdamW_learning/best_test_summary.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
model, const = s["metrics"]["rmse"], s["constant_predictor"]["rmse"]
gain = 1 - model / const
print(f"test rmse {model:.4f} m vs constant predictor {const:.4f} m: {100 * gain:.1f}% lower (goal >= 15%)")
sys.exit(0 if gain >= 0.15 else 1)
PY
