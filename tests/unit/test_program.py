"""The stack program as `pulumi up` runs it: config from the runtime, not from a file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pulumi
import pytest
from pulumi.runtime import config as runtime_config

from pulumi_flink.offline.renderer import Render, run_program
from pulumi_flink.program import main
from pulumi_flink.spec.errors import FlinkSpecError


@pytest.fixture
def stack_config() -> Iterator[dict[str, Any]]:
    values: dict[str, Any] = {}
    token = runtime_config.CONFIG.set(values)
    yield values
    runtime_config.CONFIG.reset(token)


def test_main_reads_json_config_like_the_language_host(stack_config: dict[str, Any]) -> None:
    stack_config["pulumi-flink:clusters"] = json.dumps([{"name": "orders", "flinkVersion": "2.3"}])
    stack_config["kubernetes:context"] = "ignored-by-us"
    render = run_program(lambda: main())
    names = {(o["kind"], o["metadata"]["name"]) for o in render.kubernetes_objects()}
    assert ("Deployment", "orders-jobmanager") in names


def test_main_refuses_bad_config_before_registering(stack_config: dict[str, Any]) -> None:
    stack_config["pulumi-flink:clusters"] = json.dumps(
        [{"name": "orders", "flinkVersion": "2.3", "taskManager": {"slot": 2}}]
    )
    stack_config["pulumi-flink:cluster"] = "typo"
    render = Render()
    with pytest.raises(FlinkSpecError) as info:
        run_program(lambda: main(), into=render)
    assert set(info.value.paths) == {"pulumi-flink:cluster", "clusters[0].taskManager.slot"}
    assert isinstance(info.value, pulumi.RunError)
    assert render.resources == []


def parse(*clusters: dict[str, Any]) -> Any:
    from pulumi_flink.program import parse_stack_config

    return parse_stack_config({"pulumi-flink:clusters": list(clusters)})


def cluster(name: str, namespace: str = "flink", **extra: Any) -> dict[str, Any]:
    return {"name": name, "flinkVersion": "1.20", "namespace": namespace, **extra}


PER_JOB = {"mode": "per-job", "jobs": [{"name": "orders", "jar": "/opt/flink/usrlib/o.jar"}]}


@pytest.mark.parametrize(
    ("clusters", "message"),
    [
        ([cluster("a"), cluster("a", "other")], "'a' is already the name of clusters[0]"),
        ([cluster("etl", **PER_JOB), cluster("etl-orders", "other")],
         "'etl-orders' is already a per-job cluster name of clusters[0]"),
        # A standalone cluster's JobManager Service and a cluster named like it collide in one namespace.
        ([cluster("a"), cluster("a-jobmanager", mode="application",
                               job={"jar": "/opt/flink/usrlib/x.jar"}, native=True)],
         "its Deployment 'a-jobmanager' would be the same object as one of clusters[0] in namespace flink"),
    ],
)
def test_clusters_of_a_stack_never_collide(clusters: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(FlinkSpecError) as info:
        parse(*clusters)
    assert info.value.paths == ["clusters[1].name"]
    assert message in str(info.value)


def test_similar_names_in_one_namespace_are_fine() -> None:
    stack = parse(cluster("a"), cluster("a-2"), cluster("etl", **PER_JOB), cluster("etl-2"))
    assert [s.name for s in stack.clusters] == ["a", "a-2", "etl", "etl-2"]


def test_stack_outputs_name_clusters_by_cluster_name_and_ha_ids_apart(
    stack_config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``clusterName`` is the cluster's (or job cluster's) name; the HA cluster ids, drawn per
    incarnation, are only under ``haClusterIds``."""
    exported: dict[str, Any] = {}
    monkeypatch.setattr(pulumi, "export", exported.__setitem__)
    jar = "https://repo.example.com/jobs/a.jar"
    stack_config["pulumi-flink:clusters"] = json.dumps(
        [
            {"name": "orders", "flinkVersion": "2.3"},
            {
                "name": "etl", "flinkVersion": "1.20.3", "mode": "per-job",
                "jobs": [{"name": "clicks", "jar": jar, "entryClass": "com.example.Clicks"}],
                "highAvailability": {"type": "kubernetes", "storageDir": "s3://state/etl"},
            },
        ]
    )
    seen: dict[str, Any] = {}

    def program() -> Any:
        main()
        return pulumi.Output.from_input(exported["clusters"]).apply(seen.update)

    run_program(program)
    assert seen["orders"]["clusterName"] == "orders" and "haClusterIds" not in seen["orders"]
    assert seen["etl"]["clusterName"] == "etl"
    assert seen["etl"]["jobs"]["clicks"]["clusterName"] == "etl-clicks"
    (ha_cluster_id,) = seen["etl"]["haClusterIds"].values()
    assert ha_cluster_id.startswith("etl-clicks-") and ha_cluster_id != "etl-clicks"
    every_output = (seen["orders"], seen["etl"], *seen["etl"]["jobs"].values())
    assert not any("clusterId" in output for output in every_output)
