"""Clusters that would share a Kubernetes object, an HA cluster id on one store or a node port
are refused: between the clusters of a stack file, and between FlinkCluster components of one
Python program (per Kubernetes provider)."""

from __future__ import annotations

import random
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pulumi._utils import ContextProperty
from pulumi.runtime import settings as pulumi_settings

from pulumi_flink.offline.renderer import Render, run_program
from pulumi_flink.package.package_args import spec_args
from pulumi_flink.program import parse_stack_config
from pulumi_flink.resources.cluster import FlinkCluster
from pulumi_flink.resources.collisions import planned_render, quorum_servers
from pulumi_flink.spec import FlinkClusterSpec
from pulumi_flink.spec.errors import FlinkSpecError
from tests.support.fuzz import fuzz_settings
from tests.support.rendering import make_spec

Obj = dict[str, Any]
JAR = "/opt/flink/usrlib/job.jar"


def cluster(name: str, namespace: str = "flink", **extra: Any) -> Obj:
    return {"name": name, "flinkVersion": "1.20.0", "namespace": namespace, **extra}


def kubernetes_ha(**ha: Any) -> Obj:
    return {"highAvailability": {"type": "kubernetes", "storageDir": "s3://bucket/flink", **ha}}


def zookeeper_ha(quorum: str | None = None, **ha: Any) -> Obj:
    zookeeper = {"zookeeper": {"existingQuorum": quorum}} if quorum else {}
    return {"highAvailability": {"type": "zookeeper", "storageDir": "s3://bucket/flink", **zookeeper, **ha}}


def node_port(port: int) -> Obj:
    return {"rest": {"exposure": "NodePort", "nodePort": port}}


def per_job(*jobs: str) -> Obj:
    return {"mode": "per-job", "jobs": [{"name": job, "jar": JAR} for job in jobs]}


def refusal(*clusters: Obj) -> FlinkSpecError:
    with pytest.raises(FlinkSpecError) as info:
        parse_stack_config({"pulumi-flink:clusters": list(clusters)})
    return info.value


REFUSED = {
    "kubernetes-ha-one-namespace": (
        [cluster("a", **kubernetes_ha(clusterId="shared")),
         cluster("b", **kubernetes_ha(clusterId="shared"))],
        "clusters[1].highAvailability.clusterId",
        "its Kubernetes HA cluster id 'shared' (kubernetes.cluster-id) is already taken by clusters[0] "
        "in namespace flink",
    ),
    # Native mode's kubernetes.cluster-id is the cluster name.
    "native-name-is-a-standalone-ha-id": (
        [cluster("a", **kubernetes_ha(clusterId="orders")),
         cluster("orders", native=True, **kubernetes_ha())],
        "clusters[1].name",
        "its Kubernetes HA cluster id 'orders' (kubernetes.cluster-id) is already taken by clusters[0]",
    ),
    "zookeeper-quorum-written-differently": (
        [
            cluster("a", "one", **zookeeper_ha("zk-0.zk.infra.svc:2181,zk-1.zk.infra.svc:2181",
                                               clusterId="shared")),
            cluster("b", "two", **zookeeper_ha("ZK-1.zk.infra.svc.cluster.local:2181", clusterId="shared",
                                               pathRoot="/flink/")),
        ],
        "clusters[1].highAvailability.clusterId",
        "its HA cluster id 'shared' (ZooKeeper node /flink/shared) is already taken by clusters[0] on the "
        "ZooKeeper ensemble of zk-1.zk.infra.svc:2181",
    ),
    # The existing quorum is the ensemble clusters[0] runs, by its client Service.
    "existing-quorum-is-a-library-ensemble": (
        [
            cluster("a", **zookeeper_ha(clusterId="shared")),
            cluster("b", "other", **zookeeper_ha("a-zookeeper.flink.svc:2181", clusterId="shared")),
        ],
        "clusters[1].highAvailability.clusterId",
        "is already taken by clusters[0] on the ZooKeeper ensemble of a-zookeeper.flink.svc:2181",
    ),
    "node-port-across-namespaces": (
        [cluster("a", "one", **node_port(30081)), cluster("b", "two", **node_port(30081))],
        "clusters[1].rest.nodePort",
        "node port 30081 of its Service 'b-rest' is already taken by Service 'a-rest' of clusters[0]",
    ),
    # Every job cluster inherits the per-job cluster's clusterId and node port.
    "per-job-jobs-share-a-cluster-id": (
        [cluster("etl", **per_job("x", "y"), **zookeeper_ha(clusterId="etl"))],
        "clusters[0].highAvailability.clusterId",
        "the HA cluster id 'etl' (ZooKeeper node /flink/etl) of its job cluster 'etl-y' is already taken "
        "by job cluster 'etl-x' of clusters[0]",
    ),
    "per-job-jobs-share-a-node-port": (
        [cluster("etl", **per_job("x", "y"), **node_port(30081))],
        "clusters[0].rest.nodePort",
        "node port 30081 of its Service 'etl-y-rest' is already taken by Service 'etl-x-rest' of clusters[0]",
    ),
    "per-job-kubernetes-ha-jobs-share-a-cluster-id": (
        [cluster("etl", **per_job("x", "y"), **kubernetes_ha(clusterId="etl"))],
        "clusters[0].highAvailability.clusterId",
        "of its job cluster 'etl-y' is already taken by job cluster 'etl-x' of clusters[0] "
        "in namespace flink",
    ),
    "objects-of-a-per-job-cluster": (
        [cluster("etl", **per_job("x")), cluster("etl-x-rest", "flink", mode="application",
                                                  job={"jar": JAR}, native=True)],
        "clusters[1].name",
        "its Service 'etl-x-rest' would be the same object as one of clusters[0] in namespace flink",
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_stack_refuses_clusters_that_would_share(case: str) -> None:
    clusters, path, message = REFUSED[case]
    error = refusal(*clusters)
    assert error.paths == [path]
    assert message in str(error)


ACCEPTED = {
    "kubernetes-ha-other-namespace": [
        cluster("a", **kubernetes_ha(clusterId="shared")),
        cluster("b", "other", **kubernetes_ha(clusterId="shared")),
    ],
    "kubernetes-ha-ids-per-incarnation": [cluster("a", **kubernetes_ha()), cluster("b", **kubernetes_ha())],
    "zookeeper-other-path-root": [
        cluster("a", **zookeeper_ha("zk:2181", clusterId="shared")),
        cluster("b", "other", **zookeeper_ha("zk:2181", clusterId="shared", pathRoot="/other")),
    ],
    "zookeeper-other-quorum": [
        cluster("a", **zookeeper_ha("zk-a:2181", clusterId="shared")),
        cluster("b", "other", **zookeeper_ha("zk-b:2181", clusterId="shared")),
    ],
    # A Service of each one's own namespace: two stores.
    "zookeeper-relative-names-in-other-namespaces": [
        cluster("a", "one", **zookeeper_ha("zk:2181", clusterId="shared")),
        cluster("b", "two", **zookeeper_ha("zk:2181", clusterId="shared")),
    ],
    # As the staging stack: one ensemble, each cluster under its own id.
    "existing-quorum-of-a-library-ensemble-under-its-own-id": [
        cluster("a", **zookeeper_ha(clusterId="a")),
        cluster("b", **zookeeper_ha("a-zookeeper.flink.svc:2181", clusterId="b")),
    ],
    # Each runs its own ensemble: the same id on two stores.
    "zookeeper-own-ensembles": [
        cluster("a", **zookeeper_ha(clusterId="shared")), cluster("b", **zookeeper_ha(clusterId="shared")),
    ],
    "node-ports-differ": [cluster("a", **node_port(30081)), cluster("b", "other", **node_port(30082))],
    "per-job-one-job-keeps-its-settings": [cluster("etl", **per_job("x"), **node_port(30081),
                                                   **zookeeper_ha(clusterId="etl"))],
    "per-job-ids-per-incarnation": [cluster("etl", **per_job("x", "y"), **zookeeper_ha())],
}


@pytest.mark.parametrize("case", sorted(ACCEPTED))
def test_a_stack_accepts_clusters_that_share_nothing(case: str) -> None:
    clusters = ACCEPTED[case]
    stack = parse_stack_config({"pulumi-flink:clusters": clusters})
    assert [spec.name for spec in stack.clusters] == [c["name"] for c in clusters]


@fuzz_settings(50)
@given(
    members=st.lists(
        st.from_regex(r"[a-z][a-z0-9-]{0,6}(\.[a-z][a-z0-9]{0,4}){0,3}:[1-9][0-9]{1,4}", fullmatch=True),
        min_size=1, max_size=4, unique=True,
    ),
    seed=st.integers(0, 2**16),
)
def test_a_quorum_is_the_same_whatever_its_order_case_and_spacing(members: list[str], seed: int) -> None:
    shuffled = list(members)
    random.Random(seed).shuffle(shuffled)
    rewritten = ",".join(f" {m.upper()}\t" if i % 2 else m for i, m in enumerate(shuffled))
    servers = quorum_servers(",".join(members), "flink")
    assert quorum_servers(rewritten, "flink") == servers
    # Another server is another quorum.
    assert quorum_servers(",".join([*members, "other.zk.infra.svc:2181"]), "flink") != servers


@pytest.mark.parametrize("replicas", [1, 3, 5])
def test_a_library_ensemble_is_one_store_by_any_of_its_names(replicas: int) -> None:
    spec = make_spec(highAvailability={"type": "zookeeper", "storageDir": "hdfs://nn/f",
                                       "zookeeper": {"replicas": replicas}})
    written = {"analytics-zookeeper:2181", "analytics-zookeeper.flink.svc:2181",
               "analytics-zookeeper.flink.svc.cluster.local.:2181"}
    for quorum in [spec.zookeeper_quorum, *written]:
        assert quorum_servers(quorum, "flink") == {"analytics-zookeeper.flink.svc:2181"}, quorum
    assert quorum_servers("analytics-zookeeper:2181", "other") == {"analytics-zookeeper.other.svc:2181"}


# --- FlinkCluster components of one Python program ------------------------------------------


def args(name: str, namespace: str = "flink", **extra: Any) -> Any:
    return spec_args(FlinkClusterSpec.parse(cluster(name, namespace, **extra)))


def registered_clusters(render: Render) -> list[str]:
    return [r.name for r in render.resources if r.type == "flink:index:FlinkCluster"]


def test_a_second_cluster_with_the_same_objects_is_refused_before_it_registers() -> None:
    render = Render()

    def program() -> None:
        FlinkCluster("first", args("orders"))
        FlinkCluster("second", args("orders"))

    with pytest.raises(FlinkSpecError) as info:
        run_program(program, into=render)
    (problem,) = info.value.problems
    assert problem.path == "name"
    assert "would be the same object as one of FlinkCluster 'first' in namespace flink" in problem.message
    assert registered_clusters(render) == ["first"]
    assert [r.name for r in render.resources if r.name.startswith("second")] == []


def test_clusters_in_other_namespaces_or_through_other_providers_are_fine() -> None:
    def program() -> None:
        FlinkCluster("first", args("orders"))
        FlinkCluster("second", args("orders", "other"))
        east = k8s.Provider("east")
        west = k8s.Provider("west")
        FlinkCluster("east", args("orders", "shared"), pulumi.ResourceOptions(provider=east))
        FlinkCluster("west", args("orders", "shared"), pulumi.ResourceOptions(providers={"kubernetes": west}))

    render = run_program(program)
    assert sorted(registered_clusters(render)) == ["east", "first", "second", "west"]


def test_a_provider_inherited_from_the_parent_is_the_same_kubernetes_cluster() -> None:
    def program() -> None:
        east = k8s.Provider("east")
        group_opts = pulumi.ResourceOptions(providers=[east])
        group = pulumi.ComponentResource("test:index:Group", "group", None, group_opts)
        FlinkCluster("first", args("orders"), pulumi.ResourceOptions(provider=east))
        FlinkCluster("second", args("orders"), pulumi.ResourceOptions(parent=group))

    with pytest.raises(FlinkSpecError, match="one of FlinkCluster 'first'"):
        run_program(program)


def test_claims_end_with_their_program() -> None:
    for _ in range(2):
        render = run_program(lambda: FlinkCluster("first", args("orders", **node_port(30081))) and None)
        assert registered_clusters(render) == ["first"]


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_the_python_path_says_what_the_stack_file_says(case: str) -> None:
    clusters, path, _ = REFUSED[case]
    stack_problem = refusal(*clusters).problems[0]

    def program() -> None:
        for index, item in enumerate(clusters):
            FlinkCluster(f"c{index}", spec_args(FlinkClusterSpec.parse(item)))

    with pytest.raises(FlinkSpecError) as info:
        run_program(program)
    (problem,) = info.value.problems
    index = path[len("clusters[")]
    assert f"clusters[{index}].{problem.path}" == stack_problem.path
    first = "FlinkCluster 'c0'"
    assert problem.message.replace(first, "clusters[0]") == stack_problem.message
    assert problem.fix == stack_problem.fix


def test_ha_credentials_are_planned_with_the_secret_they_make() -> None:
    spec = make_spec(flinkVersion="1.20.0", highAvailability={"type": "kubernetes", "storageDir": "s3://b/f"})
    planned = {(o["kind"], o["metadata"]["name"]) for o in planned_render(spec, ["AWS_ACCESS_KEY_ID"])
               .kubernetes_objects()}
    assert ("Secret", "analytics-ha-credentials") in planned
    assert ("Secret", "analytics-ha-credentials") not in {
        (o["kind"], o["metadata"]["name"]) for o in planned_render(spec).kubernetes_objects()
    }


# --- the plan inside a running program ----------------------------------------------------------


def _defaults() -> dict[str, Any]:
    """What a context that never set Pulumi's settings reads (e.g. a thread the program starts)."""
    properties = vars(pulumi_settings.Settings).items()
    return {name: prop._ContextProperty__default for name, prop in properties
            if isinstance(prop, ContextProperty)}


def test_a_plan_leaves_the_running_program_as_it_was() -> None:
    seen: dict[str, Any] = {}

    def program() -> None:
        settings = pulumi_settings.SETTINGS
        before = (settings.monitor, settings.engine, settings.project, settings.stack, settings.rpc_manager,
                  settings.outputs, pulumi_settings.get_root_resource(), _defaults())
        pending = pulumi.Output.from_input("value").apply(lambda v: seen.setdefault("applied", v))
        plan = planned_render(make_spec(highAvailability={"type": "zookeeper", "storageDir": "hdfs://nn/f"}))
        seen["planned"] = len(plan.kubernetes_objects())
        after = (settings.monitor, settings.engine, settings.project, settings.stack, settings.rpc_manager,
                 settings.outputs, pulumi_settings.get_root_resource(), _defaults())
        assert after == before
        FlinkCluster("outer", args("orders"))
        pulumi.export("pending", pending)

    render = run_program(program, project="outer-project", stack="outer-stack")
    assert seen["applied"] == "value" and seen["planned"] > 0
    assert registered_clusters(render) == ["outer"]
    assert all(r.urn.startswith("urn:pulumi:outer-stack::outer-project::") for r in render.resources)
    assert not any("analytics" in r.name for r in render.resources)
