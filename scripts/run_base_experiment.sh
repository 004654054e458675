#!/usr/bin/env bash
# The guide's V2 base run (base_v2_default of experiments/batvisionv2-guide.yaml):
#   batvision train --dataset batvisionv2 --use_wandb --learning_rate 0.002 --batch_size 256 --experiment_name base_v2_default
# through `experiments run`, so a finished run is skipped and an interrupted one resumes.
# Extra arguments go to `experiments run` (e.g. --set wandb_mode=offline, --dry-run).
set -euo pipefail
cd "$(dirname "$0")/.."
BV=${BV:-.build/release/batvision}
[ -x "$BV" ] || make build
exec "$BV" experiments run experiments/batvisionv2-guide.yaml --only base_v2_default "$@"
