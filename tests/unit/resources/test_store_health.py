"""The HA stores' probes and pull policy, in every mode that runs a store.

Real servers answer these probes as intended in ``tests/flink/test_store_probes.py``
(ZooKeeper) and ``tests/stores/test_etcd_real.py`` (etcd). zetcd is nowhere on this machine
(no Debian package, no binary), so its TCP probes are checked here only, as rendered.
"""

from __future__ import annotations

import re
import socket
import subprocess
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from pulumi_flink.render.stores import ZOOKEEPER_ALIVE_SCRIPT, ZOOKEEPER_READY_SCRIPT
from tests.support.rendering import make_spec, objects_by_kind_name, render_specs

Obj = dict[str, Any]
JAR = "/opt/flink/usrlib/job.jar"
ZK = {"type": "zookeeper", "storageDir": "hdfs://namenode:8020/flink"}
ZETCD = {"type": "zetcd", "storageDir": "hdfs://namenode:8020/flink"}
MODES: dict[str, dict[str, Any]] = {
    "session": {},
    "application": {"mode": "application", "job": {"jar": JAR}},
    "per-job": {"mode": "per-job", "jobs": [{"name": "a", "jar": JAR}]},
    "native-session": {"native": True},
    "native-application": {"native": True, "mode": "application", "job": {"jar": JAR}},
}
"""Every mode Flink has (native per-job does not exist)."""
CASES: dict[str, dict[str, Any]] = {
    **{f"{mode}-zookeeper": {**data, "highAvailability": ZK} for mode, data in MODES.items()},
    **{f"{mode}-zetcd": {**data, "flinkVersion": "1.14", "highAvailability": ZETCD}
       for mode, data in MODES.items()},
}
"""Every mode with every store the library runs."""
STORE_WORKLOADS = {"analytics-zookeeper", "analytics-etcd", "analytics-zetcd"}


def store_containers(**data: Any) -> dict[str, Obj]:
    objects = objects_by_kind_name(render_specs(make_spec(**data)))
    found = {}
    for (kind, name), obj in objects.items():
        if kind in ("StatefulSet", "Deployment") and name in STORE_WORKLOADS:
            (container,) = obj["spec"]["template"]["spec"]["containers"]
            found[name] = container
    return found


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("policy", ["IfNotPresent", "Always"])
def test_every_store_container_has_probes_and_the_clusters_pull_policy(case: str, policy: str) -> None:
    containers = store_containers(imagePullPolicy=policy, **CASES[case])
    expected = {"analytics-zookeeper"} if "zookeeper" in case else {"analytics-etcd", "analytics-zetcd"}
    assert set(containers) == expected
    for name, container in containers.items():
        assert container["imagePullPolicy"] == policy, name
        assert {"readinessProbe", "livenessProbe"} <= set(container), name
        if name != "analytics-zetcd":  # servers that replay data or start a JVM: a startup budget
            startup = container["startupProbe"]
            assert startup["periodSeconds"] * startup["failureThreshold"] >= 60, name


@pytest.mark.parametrize("case", ["session-zookeeper", "session-zetcd"])
def test_store_probes_stay_on_when_flink_probes_are_off(case: str) -> None:
    assert store_containers(probes={"enabled": False}, **CASES[case]) == store_containers(**CASES[case])


@pytest.mark.parametrize(
    "ha",
    [
        {"type": "zookeeper", "storageDir": "hdfs://namenode:8020/flink",
         "zookeeper": {"existingQuorum": "zk-0.zk:2181"}},
        {"type": "kubernetes", "storageDir": "hdfs://namenode:8020/flink"},
        {"type": "none"},
    ],
    ids=["existing-quorum", "kubernetes", "none"],
)
def test_no_store_container_where_the_library_runs_no_store(ha: dict[str, Any]) -> None:
    assert store_containers(highAvailability=ha) == {}


def test_zookeeper_ready_needs_a_quorum_alive_does_not() -> None:
    container = store_containers(**CASES["session-zookeeper"])["analytics-zookeeper"]
    ready = container["readinessProbe"]["exec"]["command"]
    alive = container["livenessProbe"]["exec"]["command"]
    startup = container["startupProbe"]["exec"]["command"]
    assert ready == ["bash", "-c", ZOOKEEPER_READY_SCRIPT] and "srvr" in ZOOKEEPER_READY_SCRIPT
    assert alive == startup == ["bash", "-c", ZOOKEEPER_ALIVE_SCRIPT] and "ruok" in ZOOKEEPER_ALIVE_SCRIPT
    # Both four-letter words are whitelisted in the rendered zoo.cfg.
    objects = objects_by_kind_name(render_specs(make_spec(**CASES["session-zookeeper"])))
    zoo_cfg = objects[("ConfigMap", "analytics-zookeeper")]["data"]["zoo.cfg"]
    (whitelist,) = re.findall(r"^4lw\.commands\.whitelist=(.*)$", zoo_cfg, re.M)
    assert {"srvr", "ruok"} <= set(whitelist.split(","))


@pytest.mark.parametrize("script", [ZOOKEEPER_READY_SCRIPT, ZOOKEEPER_ALIVE_SCRIPT])
def test_zookeeper_probe_scripts_parse_and_use_bash_builtins_only(script: str) -> None:
    assert subprocess.run(["bash", "-n", "-c", script], check=False).returncode == 0
    # The first word of every command, and bash's own word on what each is: a builtin or a
    # keyword, never a program the image would have to ship.
    found: set[str] = set()
    for command in re.split(r"&&|\|\|?|;", script):
        tokens = [t for t in command.split() if not re.match(r"\d*[<>]", t)]  # no redirections
        while tokens and tokens[0] in KEYWORDS:
            found.add(tokens.pop(0))
        if tokens:
            found.add(tokens[0])
    words = sorted(found)
    assert {"exec", "printf", "read", "[["} <= set(words), words
    kinds = subprocess.run(["bash", "-c", 'for w; do type -t -- "$w" || echo missing; done', "_", *words],
                           check=True, capture_output=True, text=True).stdout.split()
    assert dict(zip(words, kinds, strict=True)) == {
        w: "keyword" if w in {"[[", "while", "done", "do"} else "builtin" for w in words
    }


KEYWORDS = {"while", "until", "do", "done", "if", "then", "else", "fi", "!"}


class FourLetterWords:
    """A stand-in for ZooKeeper's client port on a free loopback port: answers each
    four-letter word with the given text, then closes the connection, as ZooKeeper does."""

    def __init__(self, answers: dict[str, bytes]):
        self.answers = answers
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            with connection:
                word = connection.recv(4).decode()
                connection.sendall(self.answers.get(word, b""))

    def run(self, script: str) -> int:
        """The script against this port instead of localhost:2181; its exit code."""
        local = script.replace("/dev/tcp/localhost/2181", f"/dev/tcp/127.0.0.1/{self.port}")
        assert local != script
        return subprocess.run(["bash", "-c", local], check=False, capture_output=True, timeout=10).returncode


NOT_SERVING = b"This ZooKeeper instance is not currently serving requests\n"
SERVING = (b"Zookeeper version: 3.8.4-9316c2a7a97e1666d8f4593f34dd6fc36ecc436c, built on 2024-02-12\n"
           b"Latency min/avg/max: 0/0.0/0\nReceived: 3\nSent: 2\nConnections: 1\nOutstanding: 0\n"
           b"Zxid: 0x100000000\nMode: follower\nNode count: 5\n")


@pytest.fixture
def four_letter_words() -> Iterator[list[FourLetterWords]]:
    servers: list[FourLetterWords] = []
    yield servers
    for server in servers:
        server.server.close()


@pytest.mark.parametrize(
    ("answers", "ready", "alive"),
    [
        ({"srvr": SERVING, "ruok": b"imok"}, True, True),  # in a quorum
        ({"srvr": NOT_SERVING, "ruok": b"imok"}, False, True),  # running, no quorum
        ({"srvr": SERVING.replace(b"follower", b"leader"), "ruok": b"imok"}, True, True),
        ({}, False, False),  # a port that accepts and says nothing (srvr, ruok not whitelisted)
    ],
    ids=["serving", "no-quorum", "leader", "silent"],
)
def test_zookeeper_probe_scripts_read_the_answers_as_intended(
    four_letter_words: list[FourLetterWords], answers: dict[str, bytes], ready: bool, alive: bool
) -> None:
    server = FourLetterWords(answers)
    four_letter_words.append(server)
    assert (server.run(ZOOKEEPER_READY_SCRIPT) == 0) is ready
    assert (server.run(ZOOKEEPER_ALIVE_SCRIPT) == 0) is alive


def test_zookeeper_probes_fail_without_a_server(four_letter_words: list[FourLetterWords]) -> None:
    """Nothing listening: both scripts exit non-zero at once rather than hang or pass."""
    server = FourLetterWords({})
    server.server.close()  # a port that was free a moment ago, now refused
    for script in (ZOOKEEPER_READY_SCRIPT, ZOOKEEPER_ALIVE_SCRIPT):
        assert server.run(script) != 0


def test_etcd_liveness_never_needs_a_leader() -> None:
    container = store_containers(**CASES["session-zetcd"])["analytics-etcd"]
    assert container["readinessProbe"]["httpGet"] == {"path": "/health", "port": 2379, "scheme": "HTTP"}
    assert container["livenessProbe"] == {**container["livenessProbe"], "tcpSocket": {"port": 2379}}
    assert container["startupProbe"]["tcpSocket"] == {"port": 2379}
    zetcd = store_containers(**CASES["session-zetcd"])["analytics-zetcd"]
    assert zetcd["readinessProbe"]["tcpSocket"] == zetcd["livenessProbe"]["tcpSocket"] == {"port": 2181}
