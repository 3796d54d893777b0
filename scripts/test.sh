#!/usr/bin/env bash
# The whole test suite on a fresh clone: installs what it needs (venv, Java 17 JDK,
# Flink 1.20 and 2.3 distributions), lints, type-checks, then runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-test.sh
.venv/bin/ruff check components tests stacks scripts package examples
.venv/bin/mypy
exec .venv/bin/python -m pytest "$@"
