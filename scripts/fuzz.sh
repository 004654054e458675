#!/usr/bin/env bash
# Builds the libFuzzer harnesses (Fuzz/, address sanitizer) and runs each for
# FUZZ_SECONDS (default 30): first every committed regression input once, then the seed
# corpus. Prints one line per harness: executions, seconds, corpus size, outcome.
# A crash, leak or timeout input is written to Fuzz/regressions/<harness>/ and the script
# exits 1. Usage: scripts/fuzz.sh [harness ...]   (FUZZ_SECONDS=600 for the long runs)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${FUZZ_SECONDS:-30}
HARNESSES=("$@")
[ ${#HARNESSES[@]} -gt 0 ] || HARNESSES=(npy wav csv manifest safetensors conf cacheattrs)
# One product at a time: building the whole Fuzz package would also link the tool's own
# executable with the fuzzer runtime, which it does not need.
for h in "${HARNESSES[@]}"; do
  (cd Fuzz && swift build -c debug -Xswiftc -sanitize=fuzzer,address --product "fuzz-$h" 2>&1 | grep -E "error|complete")
done
status=0
for h in "${HARNESSES[@]}"; do
  bin=Fuzz/.build/debug/fuzz-$h
  mkdir -p "Fuzz/regressions/$h" "Fuzz/work/$h"
  log=Fuzz/work/$h.log
  if compgen -G "Fuzz/regressions/$h/*" > /dev/null; then
    if ! "$bin" Fuzz/regressions/"$h"/* > "$log.replay" 2>&1; then
      echo "fuzz-$h: a regression input fails again (see $log.replay)"; status=1; continue
    fi
  fi
  set +e
  "$bin" "Fuzz/work/$h" "Fuzz/corpus/$h" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="Fuzz/regressions/$h/" -print_final_stats=1 > "$log" 2>&1
  rc=$?
  set -e
  runs=$(grep -oE "stat::number_of_executed_units: *[0-9]+" "$log" | grep -oE "[0-9]+$" || echo "?")
  corpus=$(ls "Fuzz/work/$h" | wc -l)
  if [ $rc -eq 0 ]; then outcome="no crash, leak or hang"; else outcome="FAILED (rc $rc, see $log)"; status=1; fi
  echo "fuzz-$h: $runs executions in ${SECONDS_EACH} s, corpus $corpus inputs: $outcome"
done
exit $status
