"""ZooKeeper HA on the test control plane: the storage a rendered cluster claims, what its
ensemble says of itself, what Flink publishes in it, and the Eviction API
(tests/kubernetes/test_ha_zookeeper.py).

Storage: the test plays the cluster admin who provisions volumes by hand. Each is a static
``hostPath`` PersistentVolume on a folder of the test's own, owned by the user and group of
the pods that will claim it (the kubelet changes no ownership on a hostPath volume, fsGroup
or not), with no storage class, as a claim without one asks when the cluster has no default
class. The controller manager's persistentvolume-binder binds each claim to a volume whose
access modes and capacity fit; ``Retain``: a deleted claim leaves its volume Released, and the
test deletes the volumes once the claims' namespace is gone.

The ensemble and Flink are asked from the node, as the pods' IPs are reachable from it: the
four-letter words ``srvr`` and ``mntr``, and Flink's leader information in ZooKeeper
(``ZooKeeperClient``, read-only).
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.flink_rest import FlinkRest, RestError
from tests.support.ha_cluster import leader_ip
from tests.support.kubernetes_api import Answer, KubernetesApi
from tests.support.pods.zookeeper import (
    ZooKeeperClient,
    ZooKeeperError,
    flink_leader_information,
    four_letter_word,
)

VOLUME_MODE = 0o2770
"""A provisioned volume's folder: its owner and group (setgid, so new files keep the group)."""
DELETE_TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True)
class StaticVolume:
    """One PersistentVolume to provision: its name, access mode, capacity, and who owns it."""

    name: str
    access_mode: str
    capacity: str
    user: int
    group: int


def persistent_volume(volume: StaticVolume, path: Path) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": volume.name},
        "spec": {
            "capacity": {"storage": volume.capacity},
            "accessModes": [volume.access_mode],
            "persistentVolumeReclaimPolicy": "Retain",
            "storageClassName": "",
            "hostPath": {"path": str(path), "type": "Directory"},
        },
    }


@contextlib.contextmanager
def static_volumes(
    api: KubernetesApi, folder: Path, volumes: Sequence[StaticVolume]
) -> Iterator[dict[str, Path]]:
    """Provision ``volumes`` in ``folder``; volume name -> its folder. Deletes the volumes
    afterwards and waits until they are gone (their claims must be gone first)."""
    made: dict[str, Path] = {}
    try:
        for volume in volumes:
            path = folder / volume.name
            path.mkdir()
            os.chown(path, volume.user, volume.group)
            path.chmod(VOLUME_MODE)
            made[volume.name] = path
            answer = api.apply(persistent_volume(volume, path))
            assert answer.ok, f"persistentvolume {volume.name}: {answer.message}"
        yield made
    finally:
        for name in made:
            api.delete("v1", "PersistentVolume", name)
        deadline = time.monotonic() + DELETE_TIMEOUT_SECONDS
        while any(api.exists("v1", "PersistentVolume", n) for n in made) and time.monotonic() < deadline:
            time.sleep(0.5)
        left = [n for n in made if api.exists("v1", "PersistentVolume", n)]
        assert not left, f"persistentvolumes not deleted: {left}"


def claim(name: str, namespace: str, access_mode: str, storage: str) -> dict[str, Any]:
    """A PersistentVolumeClaim without a storage class (a statically provisioned volume)."""
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"accessModes": [access_mode], "resources": {"requests": {"storage": storage}},
                 "storageClassName": ""},
    }


# --- workloads and pods ---------------------------------------------------------------------

def rolled_out(api: KubernetesApi, kind: str, namespace: str, name: str) -> bool:
    """A Deployment or StatefulSet whose every replica is updated and Ready."""
    workload = api.get("apps/v1", kind, name, namespace).body
    status = workload.get("status", {})
    wanted = workload["spec"]["replicas"]
    return bool(status.get("readyReplicas") == wanted == status.get("updatedReplicas")
                and status.get("observedGeneration") == workload["metadata"]["generation"])


def pods_of(api: KubernetesApi, namespace: str, component: str) -> dict[str, dict[str, Any]]:
    """Name -> pod, of the pods of one component (``app.kubernetes.io/component``) not being deleted."""
    answer = api.request("GET", f"/api/v1/namespaces/{namespace}/pods",
                         params={"labelSelector": f"app.kubernetes.io/component={component}"})
    assert answer.ok, answer.message
    items = answer.body["items"]
    return {p["metadata"]["name"]: p for p in items if not p["metadata"].get("deletionTimestamp")}


def is_ready(pod: Mapping[str, Any]) -> bool:
    conditions = {c["type"]: c["status"] for c in pod.get("status", {}).get("conditions", [])}
    return conditions.get("Ready") == "True"


# --- the ensemble ---------------------------------------------------------------------------

def server_mode(ip: str, port: int) -> str | None:
    """A ZooKeeper server's role (``srvr``): 'leader', 'follower', or None while it serves none."""
    try:
        text = four_letter_word(ip, port, "srvr")
    except OSError:
        return None
    match = re.search(r"^Mode: (\w+)", text, re.M)
    return match[1] if match else None


def monitor(ip: str, port: int) -> dict[str, str]:
    """A server's ``mntr`` answer: ``zk_*`` key -> value."""
    lines = four_letter_word(ip, port, "mntr").splitlines()
    return dict(line.split("\t", 1) for line in lines if "\t" in line)


def quorum(servers: Mapping[str, str], port: int) -> dict[str, str] | None:
    """Every server's mode (name -> 'leader'/'follower') once they form one quorum with one
    leader; ``servers`` is name -> IP."""
    modes = {name: server_mode(ip, port) for name, ip in servers.items()}
    if list(modes.values()).count("leader") == 1 and all(m in ("leader", "follower") for m in modes.values()):
        return {name: str(mode) for name, mode in modes.items()}
    return None


# --- what Flink keeps in it ----------------------------------------------------------------------

@dataclass(frozen=True)
class Leader:
    """The JobManager leading a Flink cluster, as ZooKeeper names it."""

    ip: str
    session: str


def leader(servers: Sequence[str], port: int, root: str, component: str = "dispatcher") -> Leader | None:
    """The leader of ``component`` that Flink published under ``root``
    (``<root>/leader/<component>/connection_info``), asked of the first server that answers."""
    for ip in servers:
        try:
            with ZooKeeperClient(ip, port) as zookeeper:
                data = zookeeper.get(f"{root}/leader/{component}/connection_info")
        except (ZooKeeperError, OSError):
            continue
        if not data:
            return None
        address, session = flink_leader_information(data)
        found = leader_ip(address)
        return Leader(found, session) if found else None
    return None


def contenders(servers: Sequence[str], port: int, root: str) -> int | None:
    """JobManagers in the leader election (the latch's ephemeral nodes, one per live session)."""
    for ip in servers:
        try:
            with ZooKeeperClient(ip, port) as zookeeper:
                return len(zookeeper.children(f"{root}/leader/latch"))
        except (ZooKeeperError, OSError):
            continue
    return None


def running_at(rest: FlinkRest, job_id: str) -> dict[str, Any] | None:
    """The job once it runs at ``rest`` (``FlinkRest.running``); None while that JobManager's
    REST endpoint answers with an error (a new leader's, until it serves) or does not list the
    job yet (not recovered from the HA store)."""
    try:
        jobs = {job["jid"] for job in rest.call("GET", "/jobs/overview")["jobs"]}
    except RestError:
        return None
    return rest.running(job_id) if job_id in jobs else None


# --- the Eviction API ------------------------------------------------------------------------

def evict(api: KubernetesApi, namespace: str, pod: str) -> Answer:
    """Ask the API server to evict ``pod`` (policy/v1 Eviction): 201 when the pod's
    PodDisruptionBudgets allow it, 429 when one would be broken."""
    body = {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": pod, "namespace": namespace}}
    return api.request("POST", f"/api/v1/namespaces/{namespace}/pods/{pod}/eviction", json=body)
