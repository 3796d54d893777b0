"""Fixtures for every test; the helpers behind them live in tests/support."""

from __future__ import annotations

import pytest

from pulumi_flink.spec import FlinkClusterSpec
from tests.support.rendering import make_spec


@pytest.fixture
def spec() -> FlinkClusterSpec:
    return make_spec()
