#!/usr/bin/env bash
# Renders a stack offline: scripts/render.sh [STACK] [extra pulumi-flink render options]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
stack="${1:-dev}"
shift || true
exec .venv/bin/pulumi-flink render --stack "$stack" "$@"
