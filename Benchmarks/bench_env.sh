# Shared by the side-by-side benchmark scripts (sourced from the repository root).
#   BV      the batvision binary (default: the release build)
#   PYTHON  a Python with torch (default: /work/venv/bin/python)
#   PIN     a prefix for both sides, e.g. PIN="taskset -c 0,1" to hold a many-core host to
#           two cores, as the figures in docs/benchmarks.md are
#   THREADS threads for both sides (default 2)
BV=${BV:-.build/release/batvision}
PYTHON=${PYTHON:-/work/venv/bin/python}
PIN=${PIN:-}
THREADS=${THREADS:-2}

# peak_rss LABEL COMMAND...: runs COMMAND and prints "LABEL peak RSS N KB" (GNU time, or
# Python's getrusage of the child where /usr/bin/time is not installed).
peak_rss() {
  local label=$1; shift
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f "$label peak RSS %M KB" "$@"
  else
    "$PYTHON" -c 'import resource, subprocess, sys
rc = subprocess.run(sys.argv[2:]).returncode
print(sys.argv[1], "peak RSS", resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, "KB", file=sys.stderr)
sys.exit(rc)' "$label" "$@"
  fi
}
