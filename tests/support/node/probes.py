"""The kubelet's probes: one attempt of a probe, and the counting that turns attempts into
a verdict.

An attempt, as the kubelet's probers make it (from the node, into the pod's network):
``httpGet`` is a GET of ``<scheme>://<pod IP>:<port><path>`` (``httpHeaders`` sent, the
kubelet's ``User-Agent``, no redirects followed, certificates not checked), healthy on 2xx
and 3xx; ``tcpSocket`` a TCP connection to ``<pod IP>:<port>``; ``exec`` the command run in
the container (its namespaces, root, user and environment), healthy on exit 0. Each attempt
has ``timeoutSeconds``. ``grpc`` probes are not emulated.

The verdict, as the kubelet's prober workers count: attempts every ``periodSeconds`` after
``initialDelaySeconds``; ``failureThreshold`` consecutive failures make it fail and
``successThreshold`` consecutive successes make it pass. A startup probe runs until it
passes; liveness and readiness probes start once it has.
"""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import requests

USER_AGENT = "kube-probe/1.34"


def resolve_port(port: int | str, container: Mapping[str, Any]) -> int:
    if isinstance(port, int):
        return port
    for declared in container.get("ports", []):
        if declared.get("name") == port:
            return int(declared["containerPort"])
    raise ValueError(f"probe port {port!r} is not a named port of the container")


def attempt(
    probe: Mapping[str, Any],
    pod_ip: str,
    container: Mapping[str, Any],
    run_in_container: Callable[[Sequence[str], float], int],
) -> bool:
    """One attempt of ``probe`` (see the module docstring)."""
    timeout = float(probe.get("timeoutSeconds", 1))
    if "httpGet" in probe:
        action = probe["httpGet"]
        scheme = action.get("scheme", "HTTP").lower()
        port = resolve_port(action["port"], container)
        url = f"{scheme}://{action.get('host', pod_ip)}:{port}{action.get('path', '/')}"
        headers = {"User-Agent": USER_AGENT, **{h["name"]: h["value"] for h in action.get("httpHeaders", [])}}
        with requests.Session() as session:
            session.trust_env = False  # the kubelet dials the pod, never a proxy
            try:
                answer = session.get(
                    url, headers=headers, timeout=timeout, allow_redirects=False, verify=False)
            except requests.RequestException:
                return False
        return 200 <= answer.status_code < 400
    if "tcpSocket" in probe:
        port = resolve_port(probe["tcpSocket"]["port"], container)
        try:
            with socket.create_connection((probe["tcpSocket"].get("host", pod_ip), port), timeout):
                return True
        except OSError:
            return False
    if "exec" in probe:
        try:
            return run_in_container(probe["exec"]["command"], timeout) == 0
        except subprocess.TimeoutExpired:
            return False
    raise NotImplementedError(f"probe {sorted(probe)} is not emulated")


@dataclass
class ProbeCounter:
    """Consecutive results of one probe, and when its next attempt is due."""

    probe: Mapping[str, Any]
    next_at: float = 0.0
    successes: int = 0
    failures: int = 0
    passed: bool = False
    failed: bool = False

    def start(self, now: float) -> None:
        self.next_at = now + float(self.probe.get("initialDelaySeconds", 0))
        self.successes = self.failures = 0
        self.passed = self.failed = False

    def due(self, now: float) -> bool:
        return now >= self.next_at

    def record(self, healthy: bool, now: float) -> None:
        self.next_at = now + float(self.probe.get("periodSeconds", 10))
        if healthy:
            self.successes, self.failures = self.successes + 1, 0
            if self.successes >= int(self.probe.get("successThreshold", 1)):
                self.passed, self.failed = True, False
        else:
            self.successes, self.failures = 0, self.failures + 1
            if self.failures >= int(self.probe.get("failureThreshold", 3)):
                self.passed, self.failed = False, True
