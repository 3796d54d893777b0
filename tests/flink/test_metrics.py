"""Metrics and log files from real Flink processes booted from the render.

A session cluster (a JobManager and two TaskManagers) is rendered and started as local
processes (see ``harness``; each pod on its own loopback IP, wildcard binds on that IP only)
on Flink 1.20 and 2.3, then every pod's metrics port is scraped at
``http://<pod IP>:<metrics.port>/metrics`` (the PodMonitor's path) and ``/``:

- the answer is Prometheus' text exposition format (``text/plain; version=0.0.4``, every
  sample line well-formed and of a family with a ``# TYPE``);
- the JobManager serves ``flink_jobmanager_*`` series whose values are the cluster's
  (``numRegisteredTaskManagers`` 2, ``taskSlotsTotal`` 4); each TaskManager serves
  ``flink_taskmanager_*`` series labelled with its own ``tm_id``, the id the JobManager
  registered for the TaskManager at that pod's IP: each pod's own reporter answers on its own
  IP, and every pod listens on the rendered port there and on nothing beyond its IP.

1.20 runs with ``config.yaml``, a non-default port and ``logging.toFile``: the port is read
(Flink 1.x's reporter ignores a YAML number, so the library writes a string), and each
process writes its log file into the log volume (/opt/flink/log) as well as to stdout; the
JobManager's REST API serves that file as its log. 2.3 runs with the defaults: port 9249, and
no log files.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import requests

from pulumi_flink.offline.renderer import render_stack
from pulumi_flink.program import StackConfig
from pulumi_flink.render.flink_config import render_config
from pulumi_flink.spec import FlinkClusterSpec
from tests.support.loopback import LoopbackCluster, listening_sockets
from tests.support.pods.pod_network import POD_IP_VARIABLE, PRELOAD_VARIABLE
from tests.support.pods.process import Pod
from tests.support.toolchain import JavaBuild, flink_versions

pytestmark = pytest.mark.flink

V120, V23 = flink_versions()
TASKMANAGERS = 2
SLOTS = 2
EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4"
_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"'
SAMPLE = re.compile(
    rf"^(?P<name>{_NAME})(?:\{{(?P<labels>(?:{_LABEL})(?:,{_LABEL})*,?)?\}})? "
    r"(?P<value>[-+]?(?:[0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?|\.[0-9]+(?:[eE][-+]?[0-9]+)?|NaN|[-+]?Inf))"
    r"(?: -?[0-9]+)?$"
)
TYPE_LINE = re.compile(rf"^# TYPE ({_NAME}) (counter|gauge|histogram|summary|untyped)$")


def parse_exposition(text: str) -> list[tuple[str, dict[str, str], float]]:
    """Prometheus' text format: every line a comment, blank, or a sample of a declared family."""
    families: set[str] = set()
    samples = []
    for line in text.splitlines():
        if not line.strip():
            continue
        if line.startswith("#"):
            if line.startswith("# TYPE"):
                match = TYPE_LINE.match(line)
                assert match, f"bad TYPE line: {line!r}"
                families.add(match[1])
            continue
        match = SAMPLE.match(line)
        assert match, f"not a Prometheus sample line: {line!r}"
        name = match["name"]
        family = re.sub(r"_(bucket|count|sum)$", "", name)
        assert name in families or family in families, f"{name} has no # TYPE"
        labels = dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', match["labels"] or ""))
        samples.append((name, labels, float(match["value"])))
    return samples


def scrape(pod: Pod, port: int, path: str = "/metrics") -> requests.Response:
    response = requests.get(f"http://{pod.ip}:{port}{path}", timeout=10)
    response.raise_for_status()
    return response


def cluster_spec(version: str, overrides: Mapping[str, Any]) -> FlinkClusterSpec:
    return FlinkClusterSpec.parse({
        "name": "analytics",
        "flinkVersion": version,
        "namespace": "flink",
        "jobManager": {"cpu": "1", "memory": "1024Mi"},
        "taskManager": {"cpu": "1", "memory": "1280Mi", "replicas": TASKMANAGERS, "slots": SLOTS},
        **overrides,
    })


CASES = {
    "flink-1.20-config.yaml-port-9250-log-files": (V120, {
        "configFile": "config.yaml",
        "metrics": {"port": 9250},
        "logging": {"toFile": True, "maxFileSize": "10MB", "maxFiles": 3},
    }),
    "flink-2.3-defaults": (V23, {}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_pod_serves_its_own_prometheus_metrics(
    case: str,
    java_build: Callable[[str], JavaBuild],
    loopback_cluster: Callable[[Sequence[Mapping[str, Any]], Path], LoopbackCluster],
) -> None:
    started = time.monotonic()
    version, overrides = CASES[case]
    spec = cluster_spec(version, overrides)
    port = spec.metrics.port
    assert render_config(spec).values["metrics.reporter.prom.port"] == str(port)
    cluster = loopback_cluster(render_stack(StackConfig((spec,))).kubernetes_objects(),
                               java_build(version).flink_home)
    cluster.prepare()
    for pod in cluster.pods:
        assert pod.plan.ports["metrics"] == port
        environment = {r.key: r.value for r in pod.rewrites if r.kind == "environment"}
        assert environment[POD_IP_VARIABLE] == pod.ip and environment[PRELOAD_VARIABLE]
    cluster.start()
    jm = cluster.jobmanager
    taskmanagers = cluster.pods_of("taskmanager")
    assert len(taskmanagers) == TASKMANAGERS
    cluster.wait_for(
        f"{TASKMANAGERS} TaskManagers",
        lambda: cluster.rest("GET", "/overview")["taskmanagers"] == TASKMANAGERS, timeout=120,
    )
    registered = {tm["path"]: tm["id"] for tm in cluster.rest("GET", "/taskmanagers")["taskmanagers"]}

    def series(pod: Pod, prefix: str) -> list[tuple[str, dict[str, str], float]] | None:
        try:
            samples = parse_exposition(scrape(pod, port).text)
        except requests.RequestException:
            return None
        return [s for s in samples if s[0].startswith(prefix)] or None

    expected = {"flink_jobmanager_numRegisteredTaskManagers": TASKMANAGERS,
                "flink_jobmanager_taskSlotsTotal": TASKMANAGERS * SLOTS}
    cluster.wait_for(
        f"the JobManager's flink_jobmanager_* series: {expected}",
        lambda: (found := series(jm, "flink_jobmanager_"))
        and expected.items() <= {name: value for name, _, value in found}.items(),
        timeout=60,
    )
    jm_names = {name for name, _, _ in parse_exposition(scrape(jm, port).text)}
    assert not any(name.startswith("flink_taskmanager_") for name in jm_names)
    response = scrape(jm, port, "/")
    assert response.headers["Content-Type"].startswith(EXPOSITION_CONTENT_TYPE)
    assert any(name.startswith("flink_jobmanager_") for name, _, _ in parse_exposition(response.text))

    for tm in taskmanagers:
        (tm_id,) = [tm_id for path, tm_id in registered.items() if f"@{tm.ip}:" in path]
        tm_series = cluster.wait_for(
            f"{tm.name}'s flink_taskmanager_* series",
            lambda tm=tm: series(tm, "flink_taskmanager_"),  # type: ignore[misc]
            timeout=60,
        )
        # The reporter writes label values with characters outside [a-zA-Z0-9:_] as '_'.
        assert {labels.get("tm_id") for _, labels, _ in tm_series} == {re.sub(r"[^a-zA-Z0-9:_]", "_", tm_id)}
        assert any(name == "flink_taskmanager_Status_JVM_Memory_Heap_Used" for name, _, _ in tm_series)
        assert scrape(tm, port).headers["Content-Type"].startswith(EXPOSITION_CONTENT_TYPE)

    # The reporter listens on the pod's IP, like every other socket of the pod.
    for pod in cluster.pods:
        assert pod.process is not None
        sockets = listening_sockets(pod.process.pid)
        assert (pod.ip, port) in sockets, (pod.name, sockets)
        assert {ip for ip, _ in sockets} == {pod.ip}, f"{pod.name} listens beyond its IP: {sockets}"

    log_files = {pod.name: sorted(pod.log_dir.glob("*.log")) for pod in cluster.pods}
    if spec.logging.to_file:
        for pod in cluster.pods:
            (log_file,) = log_files[pod.name]
            text = log_file.read_text()
            if pod is jm:
                started_line = "Starting StandaloneSessionClusterEntrypoint"
            else:
                (tm_id,) = [tm_id for path, tm_id in registered.items() if f"@{pod.ip}:" in path]
                started_line = f"Starting TaskManager with ResourceID: {tm_id}"
            assert started_line in text, (pod.name, text[:2000])
            assert pod.name in log_file.name  # flink-console.sh names it after the pod's hostname
            assert started_line in pod.output.read_text()  # stdout as well
        served = requests.get(f"{cluster.rest_url}/jobmanager/log", timeout=10)
        assert served.status_code == 200 and "Starting StandaloneSessionClusterEntrypoint" in served.text
    else:
        assert log_files == {pod.name: [] for pod in cluster.pods}
    cluster.stop()
    print(f"{case}: {len(cluster.pods)} pods scraped in {time.monotonic() - started:.1f}s")
