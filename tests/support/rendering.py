"""Build specs and render them under Pulumi's mocks: what most unit tests start from."""

from __future__ import annotations

from typing import Any

from pulumi_flink.offline.renderer import Render, render_stack
from pulumi_flink.program import StackConfig
from pulumi_flink.spec import FlinkClusterSpec


def make_spec(**overrides: Any) -> FlinkClusterSpec:
    data: dict[str, Any] = {"name": "analytics", "flinkVersion": "1.20", "namespace": "flink"}
    data.update(overrides)
    return FlinkClusterSpec.parse(data)


def render_specs(*specs: FlinkClusterSpec) -> Render:
    return render_stack(StackConfig(tuple(specs)))


def objects_by_kind_name(render: Render) -> dict[tuple[str, str], dict[str, Any]]:
    return {(o["kind"], o["metadata"]["name"]): o for o in render.kubernetes_objects()}
