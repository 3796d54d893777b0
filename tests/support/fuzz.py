"""Hypothesis settings of every property test: deterministic for CI, scalable for long local runs;
and the pieces of YAML that fuzzed files are spliced from.

``PULUMI_FLINK_FUZZ_SCALE=10`` multiplies the examples of every property."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

SCALE = max(1, int(os.environ.get("PULUMI_FLINK_FUZZ_SCALE", "1")))


def fuzz_settings(examples: int) -> settings:
    return settings(
        max_examples=examples * SCALE,
        derandomize=True,
        database=None,
        deadline=None,
        print_blob=False,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# Pieces of YAML, good and bad, that a stack file or a render folder's manifest is spliced from.
YAML_PIECES = [
    "config:", "pulumi-flink:clusters:", "\n", "  ", "- ", ": ", ", ", "[", "]", "{", "}", "? ", "'", '"',
    "name: a", "flinkVersion: '1.20'", "taskManager:", "replicas: ", "slots: 2", "2", "-1", "1e999", ".nan",
    "yes", "~", "0b2", "0x1F", "2024-02-30", "9" * 70, "&a ", "*a", "&b [*a, *a, *a, *a]", "<<: ", "<<: *a",
    "!!python/object:os.system ", "!!set ", "!!binary ", "!!int ", "!x ", "#", "---\n", "...\n", "\t", "\x00",
    "\x07", "\u2028", "\ufeff", "é", "a" * 200,
]
