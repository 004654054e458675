#!/usr/bin/env bash
# Side by side, one go: the PyTorch reference loader (on-the-fly features, 2 workers)
# against `batvision featurize` and streaming reads from the warm cache, on the same
# synthetic V2 dataset (720x1280 depth), for spectrogram and mel_spectrogram.
#
#   Benchmarks/run_featurize_bench.sh [DATA_DIR] [SAMPLES]
# Needs a release build (make build) and a Python with torch, torchaudio, torchvision,
# soundfile in $PYTHON (default: /work/venv/bin/python); see ../shared/reference.
# BV, PIN, THREADS: bench_env.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
source Benchmarks/bench_env.sh
DATA=${1:-/tmp/bench-v2-2000}
SAMPLES=${2:-2000}
REF=${REF:-../shared/reference/bench_reference.py}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir "$WORK/noconf"  # built-in defaults only (--conf_dir must name an existing folder)

[ -f "$DATA/synth_hall/train.csv" ] || $BV synth --dataset batvisionv2 --out "$DATA" --samples "$SAMPLES" --seed 0
peak_rss ingest $BV ingest --dataset batvisionv2 --dataset_dir "$DATA" --manifest "$WORK/m.json" --quiet

for fmt in ${FORMATS:-spectrogram mel_spectrogram}; do
  echo "== $fmt"
  sync
  $PIN "$PYTHON" "$REF" loader --root "$DATA" --dataset batvisionv2 --audio_format "$fmt" --split train --workers "$THREADS"
  sync
  peak_rss featurize $PIN $BV featurize --dataset batvisionv2 --manifest "$WORK/m.json" \
      --cache_dir "$WORK/cache" --audio_format "$fmt" --quiet --conf_dir "$WORK/noconf" --threads "$THREADS"
  sync
  cache=""
  for d in "$WORK"/cache/batvisionv2/*/; do
    if "$PYTHON" -c "import h5py,sys; f=h5py.File('$d/features.h5'); sys.exit(0 if f.attrs['audio_format'].decode() == '$fmt' else 1)" 2>/dev/null; then cache=$d; fi
  done
  $PIN $BV bench --cache "$cache" --batch_size 32     # first pass
  $PIN $BV bench --cache "$cache" --batch_size 32     # warm cache
done
