"""The HA stores' rendered probes, run as the kubelet runs them (``kubelet``) against real
servers started from the render.

ZooKeeper (Debian's ``zookeeper``, the image's minor release, see ``harness``): a 3-server
ensemble, no Flink pods. Each server's startup and liveness probe (``ruok``) passes once it
runs, in a quorum or not; its readiness probe (``srvr`` shows a ``Mode:``) passes only while
it is part of a quorum. With two of three servers stopped the survivor is not ready any more
but stays alive: a lost quorum never makes Kubernetes restart every server. Once a second
server is back, both are ready again.

etcd's probes are run against real etcd members in ``tests/stores/test_etcd_real.py``. zetcd
is nowhere on this machine: its TCP probes are checked in ``tests/unit/resources/test_store_health.py``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from pulumi_flink.offline.renderer import render_stack
from pulumi_flink.program import StackConfig
from pulumi_flink.spec import FlinkClusterSpec
from tests.support.clusters import small_cluster
from tests.support.kubelet import KUBELET
from tests.support.loopback import LoopbackCluster
from tests.support.pods.process import Pod
from tests.support.toolchain import JavaBuild, flink_versions

pytestmark = pytest.mark.flink

V120, _ = flink_versions()
ENSEMBLE = "analytics-zookeeper"


def ensemble_objects() -> list[dict[str, Any]]:
    """The render's ZooKeeper objects only: the ensemble runs without Flink."""
    spec = FlinkClusterSpec.parse(small_cluster(
        V120, highAvailability={"type": "zookeeper", "storageDir": "s3://flink/ha",
                                "zookeeper": {"replicas": 3}},
    ))
    objects = render_stack(StackConfig((spec,))).kubernetes_objects()
    return [o for o in objects if o["metadata"]["name"].startswith(ENSEMBLE)]


def container(objects: list[dict[str, Any]]) -> Mapping[str, Any]:
    (statefulset,) = [o for o in objects if o["kind"] == "StatefulSet"]
    (zookeeper,) = statefulset["spec"]["template"]["spec"]["containers"]
    return zookeeper


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 90) -> float:
    """Seconds until ``condition`` holds (polled every 0.5 s)."""
    start = time.monotonic()
    while not condition():
        assert time.monotonic() - start < seconds, f"not within {seconds}s: {what}"
        time.sleep(0.5)
    return time.monotonic() - start


def test_zookeeper_readiness_follows_the_quorum_and_liveness_does_not(
    java_build: Callable[[str], JavaBuild], loopback_cluster: Callable[..., LoopbackCluster]
) -> None:
    objects = ensemble_objects()
    probes = container(objects)
    startup, ready, alive = probes["startupProbe"], probes["readinessProbe"], probes["livenessProbe"]
    cluster = loopback_cluster(objects, java_build(V120).flink_home)
    cluster.prepare()
    servers: list[Pod] = cluster.pods
    assert [pod.name for pod in servers] == [f"{ENSEMBLE}-{i}" for i in range(3)]
    assert not any(KUBELET.probe(pod, startup) for pod in servers)  # nothing listens yet

    # One server alone: started and alive, but not ready (no quorum).
    first, second, third = servers
    cluster.start_pod(first)
    started = wait_for(lambda: KUBELET.probe(first, startup), "the first server answers ruok")
    assert started < startup["periodSeconds"] * startup["failureThreshold"]
    for _ in range(ready["failureThreshold"] + 1):  # alone it cannot form a quorum: never ready
        assert KUBELET.probe(first, alive) and not KUBELET.probe(first, ready)
        time.sleep(1)

    # All three: a quorum, every server ready.
    cluster.start_pod(second)
    cluster.start_pod(third)
    quorum = wait_for(lambda: all(KUBELET.probe(pod, ready) for pod in servers), "every server ready")
    assert quorum < startup["periodSeconds"] * startup["failureThreshold"]
    assert all(KUBELET.probe(pod, alive) for pod in servers)
    print(f"ruok after {started:.1f}s alone; all three ready {quorum:.1f}s after the others started")

    # Two of three gone: the survivor leaves the client Service but is not restarted.
    cluster.stop_pods([second, third])
    wait_for(lambda: not KUBELET.probe(first, ready), "the survivor loses readiness")
    for _ in range(alive["failureThreshold"] + 1):
        assert KUBELET.probe(first, alive), "a server without quorum must stay alive"
        time.sleep(1)

    # A second server back: quorum again.
    cluster.restart(second)
    wait_for(lambda: KUBELET.probe(first, ready) and KUBELET.probe(second, ready), "quorum again")
    assert not KUBELET.probe(third, alive)  # a stopped server fails liveness
