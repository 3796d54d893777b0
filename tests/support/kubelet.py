"""The kubelet's probes, run against harness pods.

Each attempt is the node agent's (``tests/support/node/probes.py``): ``httpGet`` and
``tcpSocket`` against the pod's loopback IP, and ``exec``: the command run with bash in the
pod's environment and working directory, healthy on exit 0. One difference from a pod,
asserted to be the only one: ``/dev/tcp/localhost/`` becomes ``/dev/tcp/<pod IP>/``. In a
pod, localhost is the pod's own network namespace, where the servers listen on the wildcard
address; here they listen on the pod's loopback IP, which bash cannot reach as localhost.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Mapping, Sequence
from typing import Any

from tests.support.loopback import LoopbackCluster
from tests.support.node.probes import attempt
from tests.support.pods.errors import ClusterError
from tests.support.pods.process import Pod

LOCALHOST = "/dev/tcp/localhost/"


class Kubelet:
    """Runs rendered probes against harness pods (see the module docstring)."""

    def exec_command(self, pod: Pod, command: Sequence[str]) -> list[str]:
        """The rendered exec command as run here: localhost is the pod's IP (the only change)."""
        assert list(command[:2]) == ["bash", "-c"], command
        script = command[2]
        changed = script.replace(LOCALHOST, f"/dev/tcp/{pod.ip}/")
        assert changed.replace(f"/dev/tcp/{pod.ip}/", LOCALHOST) == script  # nothing else changed
        return ["bash", "-c", changed]

    def probe(self, pod: Pod, probe: Mapping[str, Any]) -> bool:
        """One attempt, as the node agent's prober makes it (``node.probes.attempt``), with the
        exec command changed as ``exec_command`` says and run in the pod's environment."""
        ports = {"ports": [{"name": name, "containerPort": port} for name, port in pod.plan.ports.items()]}

        def run(command: Sequence[str], timeout: float) -> int:
            return subprocess.run(
                self.exec_command(pod, command), env=pod.environment, cwd=pod.working_dir,
                capture_output=True, timeout=timeout, check=False,
            ).returncode

        return attempt(probe, pod.ip, ports, run)

    @staticmethod
    def port(pod: Pod, port: int | str) -> int:
        return pod.plan.ports[port] if isinstance(port, str) else port

    def wait_started(
        self, cluster: LoopbackCluster, pod: Pod, probe: Mapping[str, Any], since: float
    ) -> tuple[float, int]:
        """Poll the startup probe every 0.5 s, as its periodSeconds would; (seconds from
        ``since`` to the first success, failed attempts the kubelet would have counted)."""
        budget = probe["periodSeconds"] * probe["failureThreshold"]
        while True:
            cluster.check_alive()
            if self.probe(pod, probe):
                elapsed = time.monotonic() - since
                return elapsed, int(elapsed // probe["periodSeconds"])
            if time.monotonic() - since > budget:
                raise ClusterError(f"{pod.name}: not started within {budget}s\n{cluster.diagnostics()}")
            time.sleep(0.5)


KUBELET = Kubelet()
