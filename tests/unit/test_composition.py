"""FlinkCluster inside a larger program: examples/composition runs under mocks, and renames or
moves keep every URN through aliases."""

from __future__ import annotations

import runpy
from collections.abc import Iterator
from typing import Any

import pulumi
import pytest
from pulumi.runtime import config as runtime_config

from pulumi_flink import FlinkCluster, FlinkClusterArgs, spec_args
from pulumi_flink.offline.renderer import RecordedResource, Render, run_program
from pulumi_flink.spec import FlinkClusterSpec
from tests.support.paths import ROOT
from tests.support.urns import claimed, engine_urns

EXAMPLE = ROOT / "examples" / "composition" / "__main__.py"
PROJECT = "streaming-platform"


@pytest.fixture
def example() -> Iterator[Render]:
    token = runtime_config.CONFIG.set({f"{PROJECT}:kubeconfig": "apiVersion: v1\nkind: Config\n"})
    try:
        yield run_program(lambda: runpy.run_path(str(EXAMPLE)) and None, project=PROJECT)
    finally:
        runtime_config.CONFIG.reset(token)


def descendants(render: Render, root: RecordedResource) -> list[RecordedResource]:
    children = [r for r in render.resources if r.parent == root.urn]
    return [*children, *(d for child in children for d in descendants(render, child))]


def one(render: Render, type_: str, name: str) -> RecordedResource:
    (match,) = [r for r in render.resources if r.type == type_ and r.name == name]
    return match


def test_every_flink_object_goes_through_the_programs_own_provider(example: Render) -> None:
    provider = one(example, "pulumi:providers:kubernetes", "eu-west")
    flink = one(example, "flink:index:FlinkCluster", "clickstream")
    objects = [r for r in descendants(example, flink) if r.type.startswith("kubernetes:")]
    assert len(objects) >= 5
    assert {r.provider.rsplit("::", 1)[0] for r in objects} == {provider.urn}


def test_flink_waits_for_the_existing_namespace_it_does_not_create(example: Render) -> None:
    kinds = {o["kind"] for o in example.kubernetes_objects()}
    assert "Namespace" not in kinds
    assert {o["metadata"]["namespace"] for o in example.kubernetes_objects()} == {"streaming"}
    flink = one(example, "flink:index:FlinkCluster", "clickstream")
    (namespace_urn,) = [d for d in flink.dependencies if d.endswith("::streaming")]
    assert "kubernetes:core/v1:Namespace" in namespace_urn


def test_the_existing_quorum_is_used_and_no_ensemble_is_run(example: Render) -> None:
    objects = example.kubernetes_objects()
    assert not [o for o in objects if o["kind"] == "StatefulSet"]
    (config_map,) = [o for o in objects if o["metadata"]["name"] == "clickstream-config"]
    flink_config = next(iter(config_map["data"].values()))
    quorum = "zk-0.zk.infra.svc:2181,zk-1.zk.infra.svc:2181,zk-2.zk.infra.svc:2181"
    assert f"high-availability.zookeeper.quorum: {quorum}" in flink_config


def test_the_rest_endpoint_reaches_another_resource(example: Render) -> None:
    dashboard = one(example, "kubernetes:core/v1:ConfigMap", "dashboard-settings")
    assert dashboard.inputs["data"] == {"FLINK_REST_URL": "http://clickstream-rest.streaming.svc:8081"}
    # The Output carries its dependency: the dashboard's settings wait for the cluster.
    flink = one(example, "flink:index:FlinkCluster", "clickstream")
    assert flink.urn in dashboard.dependencies or {d.urn for d in descendants(example, flink)} & set(
        dashboard.dependencies
    )


# --- renames and moves keep URNs through aliases ---

ARGS = FlinkClusterArgs(name="analytics", flink_version="1.20", namespace="flink")


class Platform(pulumi.ComponentResource):
    """A user's own component, into which an existing FlinkCluster is moved."""

    def __init__(self, name: str) -> None:
        super().__init__("example:index:Platform", name)


def before() -> Render:
    return run_program(lambda: FlinkCluster("analytics", ARGS) and None)


def renamed(aliases: list[Any]) -> Render:
    opts = pulumi.ResourceOptions(aliases=aliases)
    return run_program(lambda: FlinkCluster("analytics-eu", ARGS, opts=opts) and None)


def moved(aliases: list[Any]) -> Render:
    def program() -> None:
        platform = Platform("data-platform")
        FlinkCluster("analytics", ARGS, opts=pulumi.ResourceOptions(parent=platform, aliases=aliases))

    return run_program(program)


@pytest.mark.parametrize(
    "after",
    [
        lambda: renamed([pulumi.Alias(name="analytics")]),
        lambda: moved([pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE)]),
    ],
    ids=["rename", "move-into-a-component"],
)
def test_an_alias_on_the_component_keeps_every_resource(after: Any) -> None:
    old, new = before(), after()
    takeover = claimed(new)
    old_urns = engine_urns(old)
    assert set(old_urns) <= set(takeover), "a resource would be created anew, the old one deleted"
    # The same resource takes over with the same inputs: an update with no diff, not a replace.
    new_urns = engine_urns(new)
    for urn, resource in old_urns.items():
        assert new_urns[takeover[urn]].inputs == resource.inputs, urn


@pytest.mark.parametrize("after", [lambda: renamed([]), lambda: moved([])], ids=["rename", "move"])
def test_without_the_alias_every_resource_would_be_replaced(after: Any) -> None:
    old, new = before(), after()
    assert not set(engine_urns(old)) & set(claimed(new))


def test_every_child_name_starts_with_its_parents_name() -> None:
    # What makes inherited aliases work: Pulumi rewrites a child's name prefix, and only that.
    spec = FlinkClusterSpec.parse(
        {
            "name": "analytics",
            "flinkVersion": "1.20",
            "mode": "per-job",
            "jobs": [{"name": "orders", "jar": "/opt/flink/usrlib/o.jar"}],
            "highAvailability": {"type": "zookeeper", "storageDir": "file:///flink-ha/a", "volumeClaim": "c"},
        }
    )
    render = run_program(lambda: FlinkCluster("renamed-here", spec_args(spec)) and None)
    by_urn = render.by_urn
    assert len(render.resources) > 20
    for resource in render.resources:
        parent = by_urn.get(resource.parent)
        if parent is not None:
            assert resource.name.startswith(f"{parent.name}-"), (parent.name, resource.name)
