"""The Flink configuration of a spec is rendered once: the checks, the components, the pods
that carry its checksum and the plan of a cluster's claims share one render per spec and HA
cluster id (``render_config``, ``config_entries``)."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from pulumi_flink.offline.renderer import render_stack, run_program
from pulumi_flink.program import parse_stack_config
from pulumi_flink.render import flink_config
from pulumi_flink.render.flink_config import (
    ConfigEntries,
    RenderedConfig,
    config_entries,
    placeholder_ha_cluster_id,
    render_config,
)
from pulumi_flink.resources.cluster import FlinkCluster
from pulumi_flink.spec import FlinkClusterSpec
from tests.support.rendering import make_spec

JAR = "/opt/flink/usrlib/job.jar"


@pytest.fixture
def namespace() -> str:
    """A namespace no other test uses: renders are kept for the whole run."""
    return f"render-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[tuple[str, str, str | None]]]:
    """(what, cluster name, HA id) of each configuration really built, counted, and no spec
    and HA id built twice."""
    seen: Counter[tuple[str, str, str | None]] = Counter()
    keys: Counter[tuple[str, flink_config.RenderKey]] = Counter()
    build_entries, build_config = flink_config.build_entries, flink_config.build_config

    def entries(spec: FlinkClusterSpec, ha_cluster_id: str | None) -> ConfigEntries:
        seen["entries", spec.name, ha_cluster_id] += 1
        keys["entries", flink_config.render_key(spec, ha_cluster_id)] += 1
        return build_entries(spec, ha_cluster_id)

    def config(spec: FlinkClusterSpec, ha_cluster_id: str | None) -> RenderedConfig:
        seen["config", spec.name, flink_config.render_key(spec, ha_cluster_id)[1]] += 1
        keys["config", flink_config.render_key(spec, ha_cluster_id)] += 1
        return build_config(spec, ha_cluster_id)

    monkeypatch.setattr(flink_config, "build_entries", entries)
    monkeypatch.setattr(flink_config, "build_config", config)
    yield seen
    assert max(keys.values(), default=1) == 1, "a spec's configuration was built twice"


def test_a_session_cluster_renders_its_configuration_once(built: Counter[Any], namespace: str) -> None:
    spec = make_spec(namespace=namespace)
    render = run_program(lambda: FlinkCluster("analytics", spec) and None)
    # The text checks, the size checks, the pods, the ConfigMap and the plan: one render.
    assert built == {("entries", "analytics", None): 1, ("config", "analytics", None): 1}
    (config_map,) = [o for o in render.kubernetes_objects() if o["kind"] == "ConfigMap"]
    assert config_map["data"] == dict(render_config(spec).files)


def test_a_fixed_ha_cluster_id_is_the_one_render(built: Counter[Any], namespace: str) -> None:
    spec = make_spec(
        namespace=namespace,
        flinkVersion="1.20.1",
        highAvailability={"type": "kubernetes", "storageDir": "s3://bucket/flink", "clusterId": "orders-ha"},
    )
    run_program(lambda: FlinkCluster("analytics", spec) and None)
    assert built == {("entries", "analytics", "orders-ha"): 1, ("config", "analytics", "orders-ha"): 1}


def test_a_per_job_cluster_renders_each_job_cluster_once(built: Counter[Any], namespace: str) -> None:
    jobs = [{"name": "orders", "jar": JAR}, {"name": "billing", "jar": JAR}]
    config = {"pulumi-flink:clusters": [
        {"name": "etl", "flinkVersion": "1.20", "namespace": namespace, "mode": "per-job", "jobs": jobs},
    ]}
    render_stack(parse_stack_config(config))
    assert built == {
        ("entries", "etl", None): 1,  # the text checks of the per-job spec
        ("entries", "etl-orders", None): 1,
        ("config", "etl-orders", None): 1,
        ("entries", "etl-billing", None): 1,
        ("config", "etl-billing", None): 1,
    }


def test_the_checks_and_the_components_share_a_render(namespace: str) -> None:
    spec = make_spec(namespace=namespace)
    assert render_config(spec, placeholder_ha_cluster_id(spec)) is render_config(spec)  # no HA: no id
    assert config_entries(make_spec(namespace=namespace)) is config_entries(spec)  # equal specs
    other = make_spec(namespace=namespace, parallelism=2)
    assert render_config(other) is not render_config(spec)
    assert render_config(other).values["parallelism.default"] == 2


def test_flink_values_are_a_copy_of_their_own(namespace: str) -> None:
    spec = make_spec(namespace=namespace)
    values = flink_config.flink_values(spec)
    values["parallelism.default"] = 99
    assert flink_config.flink_values(spec)["parallelism.default"] == 1
    assert render_config(spec).values["parallelism.default"] == 1
