"""What every component shares: its type prefix, the checks it runs before registering
anything, and how it hands builder output to pulumi-kubernetes."""

from __future__ import annotations

from typing import Any

from pulumi_flink.spec import FlinkClusterSpec
from pulumi_flink.spec.errors import raise_if_any
from pulumi_flink.validation import check_once

TYPE_PREFIX = "flink:index"


def ensure_valid(spec: FlinkClusterSpec) -> None:
    """Raise FlinkSpecError for any cross-field problem; call before registering anything.

    Every component calls it, so that one constructed on its own refuses bad input; the rules
    run once per spec (``check_once``), not again in each child of a ``FlinkCluster``."""
    raise_if_any(check_once(spec))


def wire(obj: Any) -> Any:
    """Pass a Kubernetes object part in its YAML form (camelCase keys).

    pulumi-kubernetes sends such dicts to the engine unchanged; its type stubs
    only describe the snake_case Python form, hence ``Any``.
    """
    return obj
