"""Per-job mode's shared HA store is one tree named as in session mode (``<cluster>-ha``), and
every resource of it that moved there takes over its earlier URN through an alias, so an
existing stack sees no replacement."""

from __future__ import annotations

from typing import Any

import pytest

from pulumi_flink import FlinkCluster, spec_args
from pulumi_flink.offline.renderer import RecordedResource, Render, run_program
from pulumi_flink.spec import FlinkClusterSpec
from tests.support.urns import claimed, engine_urns

RESOURCE_NAME = "streaming"
"""The FlinkCluster's Pulumi name, other than its spec name: resource names derive from it."""
PREFIX = "urn:pulumi:render::pulumi-flink::flink:index:FlinkCluster"
STORE = "flink:index:FlinkHaStore"

STORES: dict[str, dict[str, Any]] = {
    "zookeeper": {"type": "zookeeper", "storageDir": "hdfs://nn:8020/flink"},
    "zetcd": {
        "type": "zetcd", "storageDir": "hdfs://nn:8020/flink", "zetcd": {"allowUnsupportedFlinkVersion": True}
    },
}

EARLIER = {
    "zookeeper": [
        "$flink:index:ZooKeeperEnsemble::streaming-zookeeper",
        "$flink:index:ZooKeeperEnsemble$kubernetes:core/v1:ConfigMap::streaming-zookeeper-config",
        "$flink:index:ZooKeeperEnsemble$kubernetes:core/v1:Service::streaming-zookeeper-peers",
        "$flink:index:ZooKeeperEnsemble$kubernetes:core/v1:Service::streaming-zookeeper-client",
        "$flink:index:ZooKeeperEnsemble$kubernetes:apps/v1:StatefulSet::streaming-zookeeper-statefulset",
        "$flink:index:ZooKeeperEnsemble$kubernetes:policy/v1:PodDisruptionBudget"
        "::streaming-zookeeper-disruption-budget",
    ],
    "zetcd": [
        "$flink:index:EtcdCluster::streaming-etcd",
        "$flink:index:EtcdCluster$kubernetes:core/v1:Service::streaming-etcd-peers",
        "$flink:index:EtcdCluster$kubernetes:core/v1:Service::streaming-etcd-client",
        "$flink:index:EtcdCluster$kubernetes:apps/v1:StatefulSet::streaming-etcd-statefulset",
        "$flink:index:EtcdCluster$kubernetes:policy/v1:PodDisruptionBudget::streaming-etcd-disruption-budget",
        "$flink:index:Zetcd::streaming-zetcd",
        "$flink:index:Zetcd$kubernetes:apps/v1:Deployment::streaming-zetcd-deployment",
        "$flink:index:Zetcd$kubernetes:core/v1:Service::streaming-zetcd-service",
    ],
}
"""The per-job store's URNs when it sat right under the FlinkCluster (after ``PREFIX``)."""


def moved_to(earlier: str) -> str:
    """Where an earlier URN's resource is now: under ``<cluster>-ha``, its name after it."""
    types, name = earlier.split("::")
    return f"{PREFIX}${STORE}{types}::{name.replace(RESOURCE_NAME, f'{RESOURCE_NAME}-ha', 1)}"


def spec(mode: str, **ha: Any) -> FlinkClusterSpec:
    data: dict[str, Any] = {"name": "analytics", "flinkVersion": "1.20", "namespace": "flink", "mode": mode}
    if mode == "per-job":
        data["jobs"] = [{"name": job, "jar": f"/opt/flink/usrlib/{job}.jar"} for job in ("orders", "clicks")]
    if ha:
        data["highAvailability"] = ha
    return FlinkClusterSpec.parse(data)


def render(cluster: FlinkClusterSpec) -> Render:
    return run_program(lambda: FlinkCluster(RESOURCE_NAME, spec_args(cluster)) and None)


def descendants(rendered: Render, root: RecordedResource) -> list[RecordedResource]:
    children = [r for r in rendered.resources if r.parent == root.urn]
    return [*children, *(d for child in children for d in descendants(rendered, child))]


def store_tree(rendered: Render, component_type: str) -> set[tuple[str, str]]:
    """(type, name) of everything under the cluster's ``<name>-ha`` component of this type."""
    (root,) = [r for r in rendered.resources if r.type == component_type]
    assert root.name == f"{RESOURCE_NAME}-ha"
    return {(r.type, r.name) for r in descendants(rendered, root)}


@pytest.mark.parametrize("store", STORES)
def test_the_shared_store_is_named_as_a_session_clusters_store(store: str) -> None:
    per_job = store_tree(render(spec("per-job", **STORES[store])), STORE)
    session = store_tree(render(spec("session", **STORES[store])), "flink:index:FlinkHighAvailability")
    assert len(per_job) == len(EARLIER[store])
    # The session tree has the incarnation's random id besides: per-job, each job cluster draws its own.
    assert session - per_job == {("random:index/randomId:RandomId", f"{RESOURCE_NAME}-ha-cluster-id")}


@pytest.mark.parametrize("store", STORES)
def test_each_moved_resource_takes_over_its_earlier_urn(store: str) -> None:
    rendered = render(spec("per-job", **STORES[store]))
    urns, takeover = engine_urns(rendered), claimed(rendered)
    assert f"{PREFIX}${STORE}::{RESOURCE_NAME}-ha" in urns
    for earlier in EARLIER[store]:
        assert moved_to(earlier) in urns
        assert takeover.get(PREFIX + earlier) == moved_to(earlier), f"{earlier}: deleted and made anew"
    # Nothing else under the cluster claims an earlier name of its own type: only the store moved.
    renamed = {
        urn
        for resource in rendered.resources
        for urn in rendered.alias_urns(resource)
        if urn.split("::")[-2].endswith(resource.type) and urn != rendered.engine_urn(resource)
    }
    assert renamed == {PREFIX + earlier for earlier in EARLIER[store]}


def test_the_moved_objects_are_the_same_kubernetes_objects() -> None:
    rendered = render(spec("per-job", **STORES["zookeeper"]))
    urns, takeover = engine_urns(rendered), claimed(rendered)
    statefulset = urns[takeover[PREFIX + EARLIER["zookeeper"][4]]]
    assert statefulset.type == "kubernetes:apps/v1:StatefulSet"
    assert statefulset.inputs["metadata"]["name"] == "analytics-zookeeper"
    assert statefulset.inputs["spec"]["serviceName"] == "analytics-zookeeper-peers"


@pytest.mark.parametrize(
    "ha",
    [
        {},
        {"type": "kubernetes", "storageDir": "hdfs://nn:8020/flink"},
        {"type": "zookeeper", "storageDir": "hdfs://nn:8020/flink",
         "zookeeper": {"existingQuorum": "zk:2181"}},
    ],
    ids=["no-ha", "kubernetes", "existing-quorum"],
)
def test_without_a_store_of_the_librarys_there_is_no_store_component(ha: dict[str, Any]) -> None:
    rendered = render(spec("per-job", **ha))
    assert not [r for r in rendered.resources if r.type == STORE]
    assert not [r for r in rendered.resources if r.aliases and r.type.startswith("flink:")]
