#!/usr/bin/env bash
# The measurements of docs/protocols.md on the main job's synthetic V2 dataset and model
# (run `make demo` first): invented target pixels per depth resize, and the same
# checkpoint's metrics under each evaluation protocol. Release build.
set -euo pipefail
cd "$(dirname "$0")/../.."
BV=.build/release/batvision
M=data-manifests/batvisionv2-synthetic.json
F=(--dataset batvisionv2 --manifest "$M" --images_size 64)
RUN=(--batch_size 32 --learning_rate 0.002 --experiment_name demo --output_dir out)
for mode in reference nearest valid_area; do $BV featurize "${F[@]}" --depth_resize $mode --quiet > /dev/null; done
echo "## invented target pixels (64x64 targets of 720x1280 maps)"
python3 scripts/protocols/invented_pixels.py "$M" $(for mode in reference nearest valid_area; do
  echo "$($BV featurize "${F[@]}" --depth_resize $mode --print_cache_dir)/features.h5"; done)
echo "## one checkpoint, five protocols (test split)"
E=(--dataset batvisionv2 --manifest "$M" "${RUN[@]}" --best)
run() { local name=$1; shift; $BV eval "${E[@]}" --stat_dir "out/protocols/$name" "$@" > "out/protocols-$name.txt"; }
mkdir -p out
run reference
run min_depth_0.5 --min_depth 0.5
run valid_area --eval_depth_resize valid_area
run raw_depth --raw_depth
python3 - <<'PY'
import glob, json
rows = [("reference (per-image mean)", "reference", "metrics"), ("per-pixel pooled", "reference", "pooled_metrics"),
        ("min_depth 0.5", "min_depth_0.5", "metrics"), ("valid_area targets", "valid_area", "metrics"),
        ("raw depth, native resolution", "raw_depth", "metrics")]
print("| protocol | abs_rel | rmse | delta1 | constant abs_rel | constant rmse |")
print("|---|---|---|---|---|---|")
for label, name, key in rows:
    s = json.load(open(glob.glob(f"out/protocols/{name}/*/best_test_summary.json")[0]))
    c = s["constant_pooled"] if key == "pooled_metrics" else s["constant_predictor"]
    m = s[key]
    print(f"| {label} | {m['abs_rel']:.4f} | {m['rmse']:.4f} | {m['delta1']:.4f} | {c['abs_rel']:.4f} | {c['rmse']:.4f} |")
PY
