"""The README's composition example runs as written (under mocks)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pulumi

from pulumi_flink.renderer import run_program

README = Path(__file__).resolve().parents[2] / "README.md"


def compose_example() -> str:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    (block,) = [b for b in blocks if "FlinkCluster(" in b]
    return block


def test_compose_example_runs_and_its_output_resolves() -> None:
    seen: dict[str, Any] = {}

    def program() -> Any:
        namespace: dict[str, Any] = {
            "kubeconfig": "fake",
            "my_component": pulumi.ComponentResource("acme:platform:Data", "data"),
        }
        exec(compile(compose_example(), "README.md", "exec"), namespace)
        return namespace["cluster"].rest_endpoint.apply(lambda url: seen.update(url=url))

    render = run_program(program)
    assert seen["url"] == "http://orders-rest.streaming.svc:8081"
    names = {(o["kind"], o["metadata"]["name"]) for o in render.kubernetes_objects()}
    assert ("Deployment", "orders-taskmanager") in names
