#!/usr/bin/env bash
# The guide's V1 base run (base_v1_default of experiments/batvisionv1-guide.yaml):
#   batvision train --dataset batvisionv1 --use_wandb --learning_rate 0.001 --batch_size 128 --experiment_name base_v1_default
# through `experiments run`, so a finished run is skipped and an interrupted one resumes.
# Extra arguments go to `experiments run` (e.g. --set wandb_mode=offline, --dry-run).
set -euo pipefail
cd "$(dirname "$0")/.."
BV=${BV:-.build/release/batvision}
[ -x "$BV" ] || make build
exec "$BV" experiments run experiments/batvisionv1-guide.yaml --only base_v1_default "$@"
