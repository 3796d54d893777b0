"""The rendered etcd cluster, started with Debian's etcd-server: the StatefulSet's own
arguments form a 3-member cluster on loopback, and every member answers health; the rendered
probes (``tests.support.kubelet``) find the members ready only with a leader, and alive without.

Each "pod" gets its own loopback IP, data directory and the container's arguments with
Kubernetes' ``$(POD_NAME)`` expansion. What differs from a pod, each for its reason:

- the members' DNS names (``<pod>.<peers Service>.<namespace>.svc``) are replaced by their
  loopback IPs in the arguments: etcd is a Go program that resolves names through the
  system resolver, which a test must not change, and no cluster DNS exists here;
- ``0.0.0.0`` in the listen URLs becomes the pod's IP: in a pod it means the pod's own
  network namespace; here all members share the host's, where each must own its ports;
- ``--data-dir`` points into the member's temporary directory (the volumeClaimTemplate).

zetcd, the ZooKeeper front, is not obtainable on this machine (no package, no network
beyond PyPI and Debian); its Deployment and Service are checked by the unit and schema tests.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.node.probes import attempt
from tests.support.rendering import make_spec, objects_by_kind_name, render_specs

ETCD = shutil.which("etcd")
SETUP_HINT = "run `bash scripts/setup-test.sh` (installs Debian's etcd-server)"


def expand(arg: str, env: dict[str, str]) -> str:
    """Kubernetes' $(VAR) expansion in container args."""
    return re.sub(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", lambda m: env.get(m.group(1), m.group(0)), arg)


def free_block(ports: tuple[int, ...], members: int) -> int:
    for block in range(200, 255):
        ok = True
        for host in range(2, 2 + members):
            for port in ports:
                with socket.socket() as probe:
                    try:
                        probe.bind((f"127.0.{block}.{host}", port))
                    except OSError:
                        ok = False
        if ok:
            return block
    raise AssertionError("no free loopback block for etcd")


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)


@dataclass
class Members:
    """The rendered etcd members, each started on its own loopback IP."""

    container: dict[str, Any]
    ports: dict[str, int]
    ips: dict[str, str]
    """Pod name -> its IP."""
    processes: dict[str, subprocess.Popen[bytes]]
    logs: Path

    def check_alive(self, *pods: str) -> None:
        for pod in pods or tuple(self.processes):
            assert self.processes[pod].poll() is None, (self.logs / f"{pod}.log").read_text()[-3000:]

    def stop(self, pod: str) -> None:
        os.killpg(self.processes[pod].pid, signal.SIGTERM)
        self.processes[pod].wait(10)


def start_members(tmp_path: Path, processes: list[Any]) -> Members:
    if ETCD is None:
        pytest.fail(f"etcd is not installed: {SETUP_HINT}", pytrace=False)
    spec = make_spec(
        flinkVersion="1.14", highAvailability={"type": "zetcd", "storageDir": "hdfs://nn:8020/flink"}
    )
    statefulset = objects_by_kind_name(render_specs(spec))[("StatefulSet", "analytics-etcd")]
    (container,) = statefulset["spec"]["template"]["spec"]["containers"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    replicas = statefulset["spec"]["replicas"]
    block = free_block((ports["client"], ports["peer"]), replicas)
    pods = {f"analytics-etcd-{i}": f"127.0.{block}.{i + 2}" for i in range(replicas)}
    peers = f"{statefulset['spec']['serviceName']}.{spec.namespace}.svc"
    started: dict[str, subprocess.Popen[bytes]] = {}

    for pod, ip in pods.items():
        assert container["env"][0]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
        args = [expand(a, {"POD_NAME": pod}) for a in container["args"]]
        rewritten = []
        for arg in args:
            for other, other_ip in pods.items():
                arg = arg.replace(f"{other}.{peers}", other_ip)
            arg = arg.replace("0.0.0.0", ip)
            if arg.startswith("--data-dir="):
                arg = f"--data-dir={tmp_path / pod}"
            rewritten.append(arg)
        # Only the listed rewrites: DNS names, wildcard listen addresses, the data dir.
        changed = [a for a, r in zip(args, rewritten, strict=True) if a != r]
        assert all(f".{peers}" in a or "0.0.0.0" in a or a.startswith("--data-dir=") for a in changed)
        log = (tmp_path / f"{pod}.log").open("wb")
        started[pod] = subprocess.Popen(
            [ETCD, *rewritten],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        )
        processes.append(started[pod])
    return Members(container, ports, pods, started, tmp_path)


def test_rendered_etcd_members_form_a_healthy_cluster(tmp_path: Path, processes: list[Any]) -> None:
    members = start_members(tmp_path, processes)
    ports, pods, replicas = members.ports, members.ips, len(members.ips)
    started = time.monotonic()
    healthy: dict[str, Any] = {}
    while time.monotonic() - started < 60 and len(healthy) < replicas:
        for pod, ip in pods.items():
            members.check_alive()
            with contextlib.suppress(requests.RequestException, ValueError):
                answer = requests.get(f"http://{ip}:{ports['client']}/health", timeout=2).json()
                if answer.get("health") == "true":
                    healthy[pod] = answer
        time.sleep(0.5)
    assert len(healthy) == replicas, f"healthy: {sorted(healthy)}"
    listed = requests.post(
        f"http://{pods['analytics-etcd-0']}:{ports['client']}/v3/cluster/member/list", json={}, timeout=5
    ).json()["members"]
    assert sorted(m["name"] for m in listed) == sorted(pods)
    # Advertised client URLs carry the pods' stable names (rewritten here to their IPs).
    assert {m["clientURLs"][0] for m in listed} == {f"http://{ip}:{ports['client']}" for ip in pods.values()}
    print(f"etcd: {replicas} members healthy in {time.monotonic() - started:.1f}s")


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 60) -> None:
    start = time.monotonic()
    while not condition():
        assert time.monotonic() - start < seconds, f"not within {seconds}s: {what}"
        time.sleep(0.5)


def test_rendered_etcd_probes_follow_the_quorum_for_readiness_only(
    tmp_path: Path, processes: list[Any]
) -> None:
    """The rendered probes as the kubelet runs them: startup and readiness pass once the members
    have a leader; with two of three members stopped the survivor is not ready (no leader, so
    ``/health`` answers 503) and stays alive (its client port accepts): a lost quorum never
    restarts every member."""
    members = start_members(tmp_path, processes)
    probes = members.container
    startup, ready, alive = probes["startupProbe"], probes["readinessProbe"], probes["livenessProbe"]
    pods = members.ips

    def no_command(command: Sequence[str], timeout: float) -> int:
        raise AssertionError(f"the etcd probes are httpGet and tcpSocket, not exec: {command}")

    def probe(ip: str, rendered: dict[str, Any]) -> bool:
        return attempt(rendered, ip, probes, no_command)

    wait_for(lambda: members.check_alive() or all(probe(p, startup) for p in pods.values()),
             "every member started")
    wait_for(lambda: all(probe(p, ready) for p in pods.values()), "every member ready")
    assert all(probe(p, alive) for p in pods.values())

    survivor, *others = sorted(pods)
    for name in others:
        members.stop(name)
    wait_for(lambda: not probe(pods[survivor], ready), "the survivor loses readiness")
    for _ in range(alive["failureThreshold"] + 1):
        members.check_alive(survivor)
        assert probe(pods[survivor], alive), "a member without quorum must stay alive"
        time.sleep(1)
    assert not any(probe(pods[name], alive) for name in others)  # stopped: not alive
