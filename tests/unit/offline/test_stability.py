"""Stability: the same input renders the same bytes, and one knob changes only its objects."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pulumi_flink.model.naming import CONFIG_CHECKSUM_ANNOTATION
from pulumi_flink.offline.cli import load_stack_file
from pulumi_flink.offline.diff import ObjectChange, diff_renders, object_key
from pulumi_flink.offline.renderer import render_stack
from pulumi_flink.program import parse_stack_config
from tests.support.paths import ROOT

CLUSTERS = "pulumi-flink:clusters"
CHECKSUM_PATH = ("spec", "template", "metadata", "annotations", CONFIG_CHECKSUM_ANNOTATION)


def stack_config(name: str) -> dict[str, Any]:
    return load_stack_file(ROOT / "stacks" / f"Pulumi.{name}.yaml")


def render(config: dict[str, Any]) -> dict[Any, dict[str, Any]]:
    return {object_key(o): o for o in render_stack(parse_stack_config(config)).kubernetes_objects()}


def changes(stack: str, knob: Callable[[list[dict[str, Any]]], None]) -> list[ObjectChange]:
    base = stack_config(stack)
    head = copy.deepcopy(base)
    knob(head[CLUSTERS])
    result = diff_renders(render(base), render(head))
    assert result, "the knob changed nothing at all"
    return result


def summary(result: list[ObjectChange]) -> dict[tuple[str, str], list[tuple[str, ...]]]:
    """(kind, name) -> the changed field paths."""
    return {(c.key.kind, c.key.name): [f.path for f in c.fields] for c in result}


def test_every_env_stack_renders_the_same_bytes_in_fresh_processes(tmp_path: Path) -> None:
    # Different hash seeds shuffle set and dict-of-set orders: any leak into the output shows here.
    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / seed
        script = (
            "import sys; from pulumi_flink.offline.cli import main\n"
            "for s in ('dev', 'staging', 'prod'):\n"
            f"    assert main(['render', '--stack', s, '--out', '{out}/' + s]) == 0\n"
        )
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, check=True, capture_output=True)
        outputs.append({p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*.yaml"))})
    assert len(outputs[0]) > 30
    assert outputs[0] == outputs[1]


def test_taskmanager_replicas_touch_only_the_taskmanager_workload() -> None:
    result = changes("dev", lambda clusters: clusters[0]["taskManager"].update(replicas=5))
    assert summary(result) == {("Deployment", "analytics-taskmanager"): [("spec", "replicas")]}
    assert result[0].mark == "", "scaling is an in-place update, not a restart"


@pytest.mark.parametrize(
    ("stack", "expected"),
    [
        ("dev", {("ConfigMap", "analytics-config"), ("Deployment", "analytics-jobmanager"),
                 ("Deployment", "analytics-taskmanager")}),
        ("mode-native-session", {("ConfigMap", "flink-config-adhoc"), ("Deployment", "adhoc")}),
    ],
    ids=["standalone", "native"],
)
def test_a_flink_config_value_touches_the_configmap_and_the_pod_template_checksums(
    stack: str, expected: set[tuple[str, str]]
) -> None:
    def knob(clusters: list[dict[str, Any]]) -> None:
        clusters[0].setdefault("flinkConfiguration", {})["web.cancel.enable"] = False

    result = changes(stack, knob)
    assert set(summary(result)) == expected
    for change in result:
        if change.key.kind == "Deployment":
            assert [f.path for f in change.fields] == [CHECKSUM_PATH]
            assert change.mark == "restart"
        else:
            # pulumi-kubernetes replaces a ConfigMap whose data changes (unless the provider sets
            # enableConfigMapMutable); the checksum is what rolls the pods onto the new file.
            assert change.mark == "replace"
            assert "enableConfigMapMutable" in change.marks[0].reason


def test_an_image_bump_touches_only_that_clusters_workloads() -> None:
    def knob(clusters: list[dict[str, Any]]) -> None:
        clusters[0]["image"] = "registry.example.com/data/orders:1.4.1"

    result = changes("staging", knob)
    # The other cluster of the stack and the ZooKeeper ensemble stay as they are.
    assert set(summary(result)) == {("Deployment", "orders-jobmanager"), ("Deployment", "orders-taskmanager")}
    for change in result:
        assert {f.path[-1] for f in change.fields} == {"image"}
        assert change.mark == "restart"


def test_adding_a_cluster_leaves_the_others_untouched() -> None:
    def knob(clusters: list[dict[str, Any]]) -> None:
        clusters.append({"name": "adhoc", "flinkVersion": "2.3", "namespace": clusters[0]["namespace"]})

    result = changes("prod", knob)
    assert {c.status for c in result} == {"added"}
    assert {c.key.name.split("-")[0] for c in result} == {"adhoc"}


@pytest.mark.parametrize("stack_file", sorted((ROOT / "stacks").glob("Pulumi.*.yaml")), ids=lambda p: p.stem)
def test_no_two_resources_of_a_stack_share_a_urn_or_an_object(stack_file: Path) -> None:
    # The mock monitor accepts duplicate URNs and object names; the engine and the API server don't.
    rendered = render_stack(parse_stack_config(load_stack_file(stack_file)))
    urns = [rendered.engine_urn(r) for r in rendered.resources]
    assert len(urns) == len(set(urns))
    objects = [object_key(o) for o in rendered.kubernetes_objects()]
    assert len(objects) == len(set(objects))
