"""Secrets never sit in a ConfigMap or a plain env value: they reach the pods by Secret reference."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pulumi_flink.offline.cli import load_stack_file
from pulumi_flink.offline.renderer import render_stack
from pulumi_flink.program import parse_stack_config
from pulumi_flink.spec.errors import FlinkSpecError
from pulumi_flink.validation import check_cluster
from tests.support.paths import ROOT
from tests.support.rendering import make_spec

CREDENTIAL = re.compile(r"password|secret|access[-._]?key|account\.key|token", re.IGNORECASE)


def containers(obj: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every container and init container of a workload, a pod, or a pod template in a ConfigMap."""
    spec = obj.get("spec", {})
    pod = spec.get("template", {}).get("spec") or spec.get("jobTemplate", {}).get("spec", {}).get(
        "template", {}
    ).get("spec") or (spec if obj.get("kind") == "Pod" else {})
    yield from pod.get("containers", [])
    yield from pod.get("initContainers", [])


@pytest.mark.parametrize("stack_file", sorted((ROOT / "stacks").glob("Pulumi.*.yaml")), ids=lambda p: p.stem)
def test_no_stack_puts_a_credential_in_a_config_map_or_a_plain_env_value(stack_file: Path) -> None:
    objects = render_stack(parse_stack_config(load_stack_file(stack_file))).kubernetes_objects()
    for obj in objects:
        if obj["kind"] == "ConfigMap":
            for name, text in obj.get("data", {}).items():
                keys = [line.split(":", 1)[0] for line in text.splitlines() if ":" in line]
                top_level = [k for k in keys if not k.startswith((" ", "#"))]
                flink_keys = top_level if name.endswith(".yaml") else []
                assert not [k for k in flink_keys if CREDENTIAL.search(k) and "enabled" not in k], name
        for container in containers(obj):
            for entry in container.get("env", []):
                if CREDENTIAL.search(entry["name"]):
                    assert "valueFrom" in entry and "value" not in entry, (obj["metadata"]["name"], entry)


def test_object_store_credentials_reach_the_pods_by_reference() -> None:
    objects = render_stack(parse_stack_config(load_stack_file(ROOT / "stacks" / "Pulumi.prod.yaml")))
    workloads = [o for o in objects.kubernetes_objects() if o["kind"] == "Deployment"]
    sources = {
        o["metadata"]["name"]: [s["secretRef"]["name"] for c in containers(o) for s in c.get("envFrom", [])]
        for o in workloads
    }
    # orders: the Secret made from haCredentials; payments: the Secret its spec names.
    assert sources == {
        "orders-jobmanager": ["orders-ha-credentials"],
        "orders-taskmanager": ["orders-ha-credentials"],
        "payments-jobmanager": ["flink-prod-s3"],
        "payments-taskmanager": ["flink-prod-s3"],
    }


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("s3.secret-key", "wJalrXUtnFEMI"),
        ("s3.access-key", "AKIA"),
        ("fs.s3a.secret.key", "wJalrXUtnFEMI"),
        ("fs.azure.account.key.acct.blob.core.windows.net", "base64=="),
        ("security.ssl.rest.keystore-password", "changeit"),
    ],
)
def test_a_credential_in_the_flink_configuration_is_refused(key: str, value: str) -> None:
    (problem,) = check_cluster(make_spec(flinkConfiguration={key: value}))
    assert problem.path == f"flinkConfiguration.{key}"
    assert "credentialsSecret" in problem.fix


def test_options_that_only_mention_a_credential_are_fine() -> None:
    assert check_cluster(make_spec(flinkConfiguration={"security.delegation.tokens.enabled": False})) == []


def test_a_credential_as_a_plain_env_value_is_refused_and_by_reference_accepted() -> None:
    problems = check_cluster(
        make_spec(pod={"env": [{"name": "KEY_PREFIX", "value": "a"}, {"name": "DB_PASSWORD", "value": "p"}]})
    )
    assert [p.path for p in problems] == ["pod.env[1].value"]
    reference = {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}
    assert check_cluster(make_spec(pod={"env": [reference]})) == []
    # Under a stack, the same refusal comes before anything is registered, with the stack path.
    cluster = {"name": "a", "flinkVersion": "1.20", "pod": {"env": [{"name": "DB_PASSWORD", "value": "p"}]}}
    with pytest.raises(FlinkSpecError) as info:
        parse_stack_config({"pulumi-flink:clusters": [cluster]})
    assert info.value.paths == ["clusters[0].pod.env[0].value"]
