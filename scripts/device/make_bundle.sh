#!/usr/bin/env bash
# Packs what a lent machine without compilers or Debian's libraries needs to run issue 12's
# CPU checks and the GPU checks (scripts/device/lent_host_checks.sh): the release batvision,
# the C timers of Benchmarks/ (gemm_shapes, conv_primitives, matmul_primitive), every shared library they
# load and glibc's loader (run as `ld-linux --library-path`, so the host's own libraries are
# not used), the PyTorch baseline scripts, and wheels for what that baseline needs beyond a
# torch install (soundfile; downloaded here, installed there with --no-index).
#
#   scripts/device/make_bundle.sh [OUT]      (default .devbundle, git-ignored)
# Needs a release build's prerequisites (make deps), gcc, and pip for the wheels (skipped
# with a warning when it cannot download). The bundle must stay under the device tool's
# 64 MiB carry together with the tracked tree: it is xz-compressed (about 40 MB).
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-.devbundle}
REF=${REF:-../shared/reference/bench_reference.py}
PY_TAG=${PY_TAG:-312}   # the lent machine's python3 (cp312 on Ubuntu 24.04)
[ -f "$REF" ] || { echo "REF=$REF: the PyTorch baseline script is missing" >&2; exit 2; }
rm -rf "$OUT" && mkdir -p "$OUT/stage/lib" "$OUT/stage/bin" "$OUT/stage/wheels"
STAGE=$OUT/stage
swift build -c release >/dev/null
cp .build/release/batvision "$STAGE/bin/batvision.real" && strip "$STAGE/bin/batvision.real"
gcc -O2 -fopenmp Benchmarks/gemm_shapes.c -o "$STAGE/bin/gemm_shapes.real" -lopenblas -ldnnl
gcc -O2 Benchmarks/conv_primitives.c -o "$STAGE/bin/conv_primitives.real" -ldnnl
gcc -O2 -fopenmp Benchmarks/matmul_primitive.c -o "$STAGE/bin/matmul_primitive.real" -ldnnl
for exe in "$STAGE"/bin/*.real; do
  ldd "$exe" | awk '/=> \//{print $3} /ld-linux/ && !/=>/{print $1}' | while read -r lib; do
    cp -L -n "$lib" "$STAGE/lib/"
  done
done
for name in batvision gemm_shapes conv_primitives matmul_primitive; do
  cat > "$STAGE/bin/$name" <<WRAP
#!/bin/sh
D=\$(cd "\$(dirname "\$0")/.." && pwd)
exec "\$D/lib/ld-linux-x86-64.so.2" --library-path "\$D/lib" "\$D/bin/$name.real" "\$@"
WRAP
  chmod +x "$STAGE/bin/$name"
done
cp "$(dirname "$REF")"/*.py "$STAGE/"   # bench_reference.py imports make_goldens.py
# soundfile's manylinux wheel carries libsndfile; cffi's is compiled; numpy is torch's already.
if ! { python3 -m pip download -q --no-deps --only-binary :all: --python-version "$PY_TAG" --implementation cp \
         --platform manylinux_2_28_x86_64 -d "$STAGE/wheels" soundfile &&
       python3 -m pip download -q --no-deps --only-binary :all: --python-version "$PY_TAG" --implementation cp \
         --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d "$STAGE/wheels" cffi pycparser; } 2>/dev/null; then
  echo "make_bundle: no soundfile wheels (pip could not download them); bench_reference.py's loader will not run there" >&2
fi
strip --strip-unneeded "$STAGE"/lib/*.so* 2>/dev/null || true
# Sanity: the bundled binary runs through its own loader here.
"$STAGE/bin/batvision" --help >/dev/null
tar -C "$OUT" -cf - stage | xz -9 -T2 > "$OUT/bundle.tar.xz"
ls "$STAGE/wheels"
rm -rf "$STAGE"
echo "bundle: $OUT/bundle.tar.xz ($(du -m "$OUT/bundle.tar.xz" | cut -f1) MB)"
