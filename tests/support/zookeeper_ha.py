"""ZooKeeper HA on the test control plane: what its ensemble says of itself, what Flink
publishes in it, and the Eviction API (tests/kubernetes/test_ha_zookeeper.py).

Storage is provisioned by hand (tests/support/persistent_volumes.py).

The ensemble and Flink are asked from the node, as the pods' IPs are reachable from it: the
four-letter words ``srvr`` and ``mntr``, and Flink's leader information in ZooKeeper
(``ZooKeeperClient``, read-only).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
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
