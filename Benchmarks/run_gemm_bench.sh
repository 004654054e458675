#!/usr/bin/env bash
# dnnl_sgemm (oneDNN) against OpenBLAS on the matrix products of one training step of the
# three benchmark U-Nets (the shapes Conv2d and ConvTranspose2d issue, with their chunking),
# then oneDNN's own convolution primitives on the same layers (conv_primitives.c: what a
# rewrite on them would take for the products, reorders not counted; CONV=0 skips it) and
# dnnl_sgemm against oneDNN's matmul primitive on the products, one thread (matmul_primitive.c;
# MATMUL=0 skips it).
#
#   Benchmarks/run_gemm_bench.sh [REPS]
# Needs gcc, libopenblas-dev and libdnnl-dev (make deps).
set -euo pipefail
# GEMM_SHAPES, CONV_PRIMITIVES, MATMUL_PRIMITIVE: timers built elsewhere (a host without compilers), resolved
# before the cd
for var in GEMM_SHAPES CONV_PRIMITIVES MATMUL_PRIMITIVE; do
  if [ -n "${!var:-}" ]; then
    [ -x "${!var}" ] || { echo "$var=${!var}: not an executable" >&2; exit 2; }
    printf -v "$var" '%s' "$(realpath "${!var}")"
  fi
done
cd "$(dirname "$0")"
REPS=${1:-3}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
CONV=${CONV:-1} MATMUL=${MATMUL:-1}
# timer VAR SOURCE LIBS...: VAR names the timer given, else one built from SOURCE into $WORK.
timer() {
  local var=$1 src=$2; shift 2
  [ -n "${!var:-}" ] || printf -v "$var" '%s' "$WORK/${src%.c}"
  [ -x "${!var}" ] || gcc -O2 -fopenmp "$src" -o "${!var}" "$@"
}
timer GEMM_SHAPES gemm_shapes.c -lopenblas -ldnnl
[ "$CONV" = 1 ] && timer CONV_PRIMITIVES conv_primitives.c -ldnnl
[ "$MATMUL" = 1 ] && timer MATMUL_PRIMITIVE matmul_primitive.c -ldnnl
# num_downs ngf size batch; CONFIGS="8 64 256 8" (';' between several) picks some.
IFS=';' read -r -a configs <<< "${CONFIGS:-6 16 64 32;7 64 128 16;8 64 256 8}"
for cfg in "${configs[@]}"; do
  set -- $cfg
  python3 - "$@" > "$WORK/shapes" <<'PY'
import sys
num_downs, ngf, size, batch = map(int, sys.argv[1:])
def channels(i):  # (outer, inner, input) of level i, as UNet.swift builds them
    if i == 0: return (1, ngf, 2)
    return {1: (ngf, 2 * ngf, ngf), 2: (2 * ngf, 4 * ngf, 2 * ngf), 3: (4 * ngf, 8 * ngf, 4 * ngf)}.get(i, (8 * ngf, 8 * ngf, 8 * ngf))
side = size
for i in range(num_downs):
    outer, inner, inp = channels(i)
    up_in = inner if i == num_downs - 1 else 2 * inner
    pix = (side // 2) ** 2
    k = inp * 16
    chunk = max(1, min(batch, (1 << 23) // max(1, k * pix)))  # Im2Col.samplesPerChunk
    for n0 in range(0, batch, chunk):
        cols = (min(batch, n0 + chunk) - n0) * pix
        print("convF 0 0", inner, cols, k)
        print("convW 0 1", inner, k, cols)
        if i > 0: print("convX 1 0", k, cols, inner)
    rows = outer * 16
    chunk = max(1, min(batch, (1 << 23) // max(1, rows * pix)))
    for n0 in range(0, batch, chunk):
        cols = (min(batch, n0 + chunk) - n0) * pix
        print("tF 1 0", rows, cols, up_in)
        print("tW 0 1", up_in, rows, cols)
        print("tX 0 0", up_in, cols, rows)
    side //= 2
PY
  echo "== num_downs $1 ngf $2 size $3 batch $4"
  "$GEMM_SHAPES" "$WORK/shapes" "$REPS"
  if [ "$CONV" = 1 ]; then
    echo "-- oneDNN convolution primitives, same layers, 2 threads as above"
    OMP_NUM_THREADS=2 "$CONV_PRIMITIVES" "$1" "$2" "$3" "$4" "$REPS"
  fi
  if [ "$MATMUL" = 1 ]; then
    echo "-- dnnl_sgemm against the matmul primitive, same products, one thread"
    OMP_NUM_THREADS=1 "$MATMUL_PRIMITIVE" "$WORK/shapes" "$REPS"
  fi
done
