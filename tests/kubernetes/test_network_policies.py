"""The dev stack's NetworkPolicies, enforced by a real engine (kube-network-policies on the node
network, tests/support/policy_engine.py): the Flink cluster works with them on (its
TaskManagers register with the JobManager, through the engine), a pod of the cluster reaches
the JobManager's RPC and REST ports, a stranger pod in the same namespace is refused on both,
and with the engine stopped the same stranger gets through (the refusal is the engine's).

Connections are made from a process in a pod's network namespace, as ``kubectl exec`` would
run it: its source address is the pod's. The test's own REST calls come from the gateway, the
node, whose traffic the engine lets through (as it does a kubelet's probes): what a user's
``kubectl port-forward`` reaches.
"""

from __future__ import annotations

import functools
import subprocess
import sys
import time
from typing import Any

import pytest

from pulumi_flink.offline.cli import load_stack_file
from pulumi_flink.program import parse_stack_config
from tests.support.cluster_dns import ClusterDns
from tests.support.flink_rest import FlinkRest
from tests.support.kubernetes_cluster import apply_all, pods_of, rolled_out, stack_objects, wait_for
from tests.support.node.agent import NodeAgent
from tests.support.node.images import SHELL_IMAGE
from tests.support.node_network import PodAddress, pod_command
from tests.support.paths import ROOT
from tests.support.policy_engine import PolicyEngine, Verdict

pytestmark = pytest.mark.kubernetes

ROLLOUT_SECONDS = 180.0
CONNECT_SECONDS = 3.0
"""Long enough for a connection on the bridge (milliseconds), short for a dropped one."""
STRANGER = "stranger"
RESTRICTED = {
    "runAsNonRoot": True, "runAsUser": 4321, "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"},
}
"""What the namespace's PodSecurity ``restricted`` level asks of the stranger's container."""
CONNECT = """
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=float(sys.argv[3])).close()
    print("connected")
except OSError as error:
    print("refused" if isinstance(error, TimeoutError) else f"failed {error}")
"""
GET = """
import sys, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
print(opener.open(sys.argv[1], timeout=10).read().decode())
"""


def stranger_pod(namespace: str) -> dict[str, Any]:
    """A shell pod in the cluster's namespace whose labels no policy admits."""
    container = {"name": "main", "image": SHELL_IMAGE, "command": ["sleep", "infinity"],
                 "securityContext": RESTRICTED}
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": STRANGER, "namespace": namespace, "labels": {"app": STRANGER}},
        "spec": {"containers": [container], "automountServiceAccountToken": False,
                 "terminationGracePeriodSeconds": 1},
    }


def connect(address: PodAddress, ip: str, port: int) -> str:
    """``connected``, ``refused`` (no answer within CONNECT_SECONDS: dropped), or ``failed ...``,
    for a TCP connection from the pod at ``address``."""
    argv = pod_command(address, [sys.executable, "-c", CONNECT, ip, str(port), str(CONNECT_SECONDS)])
    return subprocess.run(argv, capture_output=True, text=True, timeout=CONNECT_SECONDS + 10,
                          check=True).stdout.strip()


def get_from(address: PodAddress, url: str) -> str:
    result = subprocess.run(pod_command(address, [sys.executable, "-c", GET, url]), capture_output=True,
                            text=True, timeout=20, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def address_of(agent: NodeAgent, namespace: str, name: str) -> PodAddress | None:
    """The pod's network once the agent has given it one."""
    try:
        return agent.worker(namespace, name).address
    except KeyError:
        return None


def verdicts_to(engine: PolicyEngine, ip: str, port: int, source_ip: str | None = None) -> list[Verdict]:
    return [v for v in engine.verdicts() if v.destination == f"{ip}:{port}"
            and (source_ip is None or v.source.split(":")[0] == source_ip)]


def test_the_dev_stack_s_policies_admit_its_cluster_and_refuse_a_stranger(
    node_agent: NodeAgent, cluster_dns: ClusterDns, policy_engine: PolicyEngine,
) -> None:
    api = node_agent.api
    stack = parse_stack_config(load_stack_file(ROOT / "stacks" / "Pulumi.dev.yaml"))
    (spec,) = stack.clusters
    namespace, name, ports = spec.namespace, spec.name, spec.ports
    explain = node_agent.diagnostics(namespace)
    started = time.monotonic()
    with apply_all(api, stack_objects("dev")):
        answer = api.apply(stranger_pod(namespace))
        assert answer.ok, answer.message
        for deployment in (f"{name}-jobmanager", f"{name}-taskmanager"):
            wait_for(f"{deployment} rolled out", functools.partial(rolled_out, api, namespace, deployment),
                     ROLLOUT_SECONDS, explain)
        (jobmanager,) = pods_of(api, namespace, "jobmanager").values()
        jobmanager_ip = jobmanager["status"]["podIP"]
        replicas = spec.task_manager.replicas

        # The TaskManagers registered over RPC, each connection admitted by the engine.
        rest = FlinkRest(f"http://{jobmanager_ip}:{ports.rest}", explain)
        rest.wait(f"{replicas} TaskManagers",
                  lambda: rest.call("GET", "/overview")["taskmanagers"] == replicas, ROLLOUT_SECONDS)
        taskmanagers = list(pods_of(api, namespace, "taskmanager").values())
        for pod in taskmanagers:
            pod_ip = pod["status"]["podIP"]
            seen = {v.verdict for v in verdicts_to(policy_engine, jobmanager_ip, ports.rpc, pod_ip)}
            assert seen == {"accept"}, f"{pod['metadata']['name']}: {seen}"

        # A pod of the cluster reaches the JobManager's RPC and REST ports.
        member = address_of(node_agent, namespace, taskmanagers[0]["metadata"]["name"])
        assert member is not None
        assert connect(member, jobmanager_ip, ports.rpc) == "connected"
        assert f'"taskmanagers":{replicas}' in get_from(member, f"http://{jobmanager_ip}:{ports.rest}/overview")

        # A stranger in the same namespace does not: the engine drops its first packet.
        stranger = wait_for("the stranger's network", lambda: address_of(node_agent, namespace, STRANGER),
                            ROLLOUT_SECONDS, explain)
        for port in (ports.rpc, ports.rest):
            assert connect(stranger, jobmanager_ip, port) == "refused", port
            dropped = verdicts_to(policy_engine, jobmanager_ip, port, stranger.ip)
            assert dropped and {v.verdict for v in dropped} == {"drop"}, (port, dropped)
            assert dropped[0].source_pod == f"{namespace}/{STRANGER}", dropped
        enforced = time.monotonic() - started

        # Without the engine, nothing stands between the stranger and the JobManager.
        policy_engine.stop()
        assert connect(stranger, jobmanager_ip, ports.rpc) == "connected"
        assert connect(member, jobmanager_ip, ports.rpc) == "connected"
    print(f"network policies: enforced and checked {enforced:.1f}s after apply")
