"""Hypothesis settings of every property test: deterministic for CI, scalable for long local runs.

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
