"""The README's examples run as written (under mocks), and its render sample is current."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pulumi

from pulumi_flink import FlinkCluster
from pulumi_flink.offline.renderer import run_program
from tests.support.paths import ROOT

README = ROOT / "README.md"


def python_block(marker: str) -> str:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    (block,) = [b for b in blocks if marker in b]
    return block


def compose_example() -> str:
    return python_block("pulumi.export(")


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


def test_alias_examples_run_and_carry_their_aliases() -> None:
    # Two alternatives (a rename, a move) of one cluster: each its own program, as two
    # FlinkCluster of one program with the same objects are refused.
    examples = python_block("pulumi.Alias(").strip().split("\n\n")
    assert len(examples) == 2
    clusters = []
    for example in examples:

        def program(example: str = example) -> None:
            namespace: dict[str, Any] = {
                "FlinkCluster": FlinkCluster,
                "pulumi": pulumi,
                "args": {"name": "analytics", "flink_version": "1.20"},
                "platform": pulumi.ComponentResource("acme:platform:Data", "data"),
            }
            exec(compile(example, "README.md", "exec"), namespace)

        render = run_program(program)
        (cluster,) = [r for r in render.resources if r.type == "flink:index:FlinkCluster"]
        assert cluster.aliases
        # Each alias points at the same earlier URN: the top-level "analytics" both examples started from.
        earlier = "urn:pulumi:render::pulumi-flink::flink:index:FlinkCluster::analytics"
        assert earlier in render.alias_urns(cluster)
        clusters.append(cluster.name)
    assert clusters == ["analytics-eu", "analytics"]


def test_render_summary_in_the_readme_is_what_the_cli_prints(tmp_path: Path, capsys: Any) -> None:
    """The sample under 'Render a stack offline' is the dev stack's summary as rendered today."""
    from pulumi_flink.offline.cli import main

    (sample,) = re.findall(r"```\n(Stack dev: .*?)```", README.read_text(), re.S)
    assert main(["render", "--stack", "dev", "--out", str(tmp_path / "out")]) == 0
    printed = capsys.readouterr().out
    summary = printed[: printed.index("\nWrote ")].rstrip("\n") + "\n"
    assert summary == sample, "update README's sample: .venv/bin/pulumi-flink render --stack dev"
