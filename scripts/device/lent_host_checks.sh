#!/usr/bin/env bash
# One prepared run for a lent machine (a GPU host whose CPU may offer AVX-512): what the GPU
# trainer and issue 12 still need measured there, most valuable first, each part time-boxed
# so that a short lease still returns the first parts. Output: one file per part under $OUT
# (the device tool's output folder; default ./lent-host-out), then one table on stdout: the
# GPU checks (python -m batvision_cache.gpu_check: CUDA parity of one step against the CPU,
# an NCCL DDP smoke run, an --amp bf16 run, unet_256 batch 128 samples/s with 4 and 8
# DataLoader workers and with --data_on_device, each with its data-wait share) and every
# part's status. Exit 1 when any check or part failed. The GPU checks alone take 2-4
# minutes; their CPU form runs in `make test-torch` (tests/test_torch_gpu_check.py).
#
#   scripts/device/lent_host_checks.sh BUNDLE [SECONDS]
# BUNDLE: scripts/device/make_bundle.sh's bundle.tar.xz (or its unpacked folder); SECONDS:
# the whole budget (default 470, under 8 minutes). Both sides are held to two cores (PIN, THREADS as in
# Benchmarks/bench_env.sh), as the issue's figures are. GPU parts run only where torch sees CUDA.
# PARTS="train_side_by_side gpu_tests" runs only those parts (a second lease: what was cut).
set -uo pipefail
cd "$(dirname "$0")/../.."
BUNDLE=${1:?usage: lent_host_checks.sh BUNDLE [SECONDS]}
BUDGET=${2:-470}
OUT=${OUT:-./lent-host-out}
mkdir -p "$OUT"
START=$(date +%s)
D=$(mktemp -d)
if [ -d "$BUNDLE" ]; then cp -r "$BUNDLE"/. "$D"/; else xz -dc "$BUNDLE" | tar -C "$D" -xf -; fi
[ -d "$D/stage" ] && D=$D/stage
export BV=$D/bin/batvision GEMM_SHAPES=$D/bin/gemm_shapes CONV_PRIMITIVES=$D/bin/conv_primitives MATMUL_PRIMITIVE=$D/bin/matmul_primitive
export REF=$D/bench_reference.py PYTHON=${PYTHON:-python3}
CORES=$(nproc)
export PIN=${PIN:-$( [ "$CORES" -ge 4 ] && echo "taskset -c 2,3" || echo "")} THREADS=${THREADS:-2}
ls "$D"/wheels/*.whl >/dev/null 2>&1 && "$PYTHON" -m pip install -q --no-index --find-links "$D/wheels" soundfile >/dev/null 2>&1

left() { echo $(( BUDGET - ($(date +%s) - START) )); }
FAILED=0
# part NAME SECONDS COMMAND...: runs COMMAND under `timeout` (at most what is left), into $OUT/NAME.txt.
part() {
  local name=$1 want=$2; shift 2
  if [ -n "${PARTS:-}" ] && [[ " $PARTS " != *" $name "* ]]; then return; fi
  local t; t=$(left); [ "$want" -lt "$t" ] && t=$want
  if [ "$t" -le 5 ]; then echo "$name: skipped, budget spent" | tee -a "$OUT/summary.txt"; return; fi
  local s; s=$(date +%s)
  timeout "$t" "$@" > "$OUT/$name.txt" 2>&1
  local rc=$?
  [ "$rc" -ne 0 ] && FAILED=1
  printf '%-28s exit %3d in %4d s (limit %d)\n' "$name" "$rc" "$(( $(date +%s) - s ))" "$t" >> "$OUT/summary.txt"
}

{ date -u; uname -a; grep -m1 "model name" /proc/cpuinfo; grep -m1 "cpu MHz" /proc/cpuinfo
  grep -m1 -o "avx512[a-z_0-9]*" /proc/cpuinfo | sort -u | tr '\n' ' '; echo; nproc
  "$PYTHON" -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available())' 2>&1
} > "$OUT/host.txt"
# 0. The GPU path (issue 23): one table of checks, exit 1 on any failure; then the CUDA
#    tests and unet_256's throughput in the three precisions (inputs already on the GPU).
if "$PYTHON" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  part gpu_check 300 env PYTHONPATH=python "$PYTHON" -m batvision_cache.gpu_check --device cuda --batvision "$BV" \
    --work "$(mktemp -d)" --conf_dir conf
  part gpu_tests 200 bash -c 'cd python && BATVISION_BIN=$BV "$PYTHON" -m pytest -q tests/test_torch_cuda.py tests/test_torch_model.py tests/test_torch_gpu_path.py'
  part gpu_throughput 120 env PYTHONPATH=python "$PYTHON" Benchmarks/bench_gpu_train.py --configs 8,64,256,64 7,64,128,128
else
  echo "gpu_check: no CUDA device seen by $PYTHON" >> "$OUT/summary.txt"; FAILED=1
fi
# 1. (CPU, issue 12) Is a rewrite on oneDNN's convolution primitives (or its matmul primitive) worth it here?
#    Products as batvision calls them against the primitives, unet_256 only.
part gemm_vs_conv_primitives 150 env CONFIGS="8 64 256 8" $PIN Benchmarks/run_gemm_bench.sh 2
# 2. Where the step's time goes on this host (both engines), then side by side with PyTorch.
part phases 120 bash -c 'for g in onednn openblas; do for c in "6 16 64 32 20" "7 64 128 16 4" "8 64 256 8 3"; do set -- $c
  $PIN $BV bench train --num_downs $1 --ngf $2 --size $3 --batch $4 --steps $5 --warmup 1 --threads $THREADS --gemm $g; done; done'
part train_side_by_side 240 env ROUNDS=1 Benchmarks/run_train_bench.sh
part eval_side_by_side 200 env ROUNDS=1 Benchmarks/run_eval_bench.sh
echo "total $(( $(date +%s) - START )) s of $BUDGET" >> "$OUT/summary.txt"
# The one table: the GPU checks, then every part's status.
[ -f "$OUT/gpu_check.txt" ] && grep -v "^  " "$OUT/gpu_check.txt" | tail -n 8
echo
cat "$OUT/summary.txt"
exit $FAILED
