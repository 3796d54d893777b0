#!/usr/bin/env bash
# The whole test suite on a fresh clone: installs what it needs (venv, Java 17 JDK,
# Flink 1.20 and 2.3 distributions, the control plane), lints, type-checks, then runs every
# test. With arguments, runs pytest with them instead of the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-test.sh
.venv/bin/ruff check components tests stacks scripts package examples
.venv/bin/mypy
if [ "$#" -gt 0 ]; then
    exec .venv/bin/python -m pytest "$@"
fi
# Every test but the control plane's on two workers: the loopback clusters of concurrent
# sessions claim address blocks of their own (tests/support/loopback.py). The control-plane
# tests share one plane, one node network and one agent, so they run in one process after.
status=0
.venv/bin/python -m pytest -n 2 --ignore=tests/kubernetes || status=$?
.venv/bin/python -m pytest tests/kubernetes || status=$?
exit "$status"
