"""The node agent runs pods as a kubelet would, asked through the real API server: what a
container sees (env, volumes, identity, network, the API with its own token), what the
pod's status says (phase, IP, Ready, restarts, exit codes), and how a pod goes (SIGTERM,
the grace period, SIGKILL)."""

from __future__ import annotations

import base64
import ipaddress
import time
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from tests.support.kubernetes_api import KubernetesApi
from tests.support.kubernetes_cluster import delete_namespace, make_namespace, wait_for
from tests.support.node.agent import NodeAgent
from tests.support.node.images import SHELL_IMAGE

pytestmark = pytest.mark.kubernetes

NAMESPACE = "agent-pods"
TIMEOUT = 60.0
HARDENED = {
    "runAsNonRoot": True, "runAsUser": 4321, "runAsGroup": 4321,
    "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
    "readOnlyRootFilesystem": True, "seccompProfile": {"type": "RuntimeDefault"},
}


@pytest.fixture(scope="module")
def api(node_agent: NodeAgent) -> Iterator[KubernetesApi]:
    make_namespace(node_agent.api, NAMESPACE)
    yield node_agent.api
    delete_namespace(node_agent.api, NAMESPACE)


def pod(name: str, script: str, **spec: Any) -> dict[str, Any]:
    container = {"name": "main", "image": SHELL_IMAGE, "command": ["bash", "-c", script],
                 "securityContext": HARDENED, **spec.pop("container", {})}
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": NAMESPACE, "labels": {"test": name}},
        "spec": {"containers": [container], "automountServiceAccountToken": False,
                 "terminationGracePeriodSeconds": 5, **spec},
    }


def status_of(api: KubernetesApi, name: str) -> dict[str, Any]:
    answer = api.get("v1", "Pod", name, NAMESPACE)
    return answer.body.get("status", {}) if answer.ok else {}


def main_status(api: KubernetesApi, name: str) -> dict[str, Any]:
    statuses = status_of(api, name).get("containerStatuses", [])
    return statuses[0] if statuses else {}


def output(agent: NodeAgent, name: str, marker: str) -> str | None:
    """The container's output once it has printed ``marker`` (None before it has, or before
    the pod has reached the agent)."""
    try:
        text = agent.worker(NAMESPACE, name).log("main")
    except KeyError:
        return None
    return text if marker in text else None


def create(api: KubernetesApi, body: Mapping[str, Any]) -> None:
    answer = api.apply(body)
    assert answer.ok, answer.message


def test_a_container_gets_its_env_volumes_and_identity(api: KubernetesApi, node_agent: NodeAgent) -> None:
    create(api, {"apiVersion": "v1", "kind": "ConfigMap",
                 "metadata": {"name": "settings", "namespace": NAMESPACE},
                 "data": {"mode": "fast", "app.conf": "threads=4\n"}})
    create(api, {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds", "namespace": NAMESPACE},
                 "data": {"password": base64.b64encode(b"s3cr=t").decode()}})
    script = """
        echo "GREETING=$GREETING POD_IP=$POD_IP POD_NAME=$POD_NAME MODE=$MODE PASSWORD=$PASSWORD"
        echo "FROM_MODE=$CFG_mode"
        echo "CONF=$(cat /etc/app/app.conf) SECRET=$(cat /etc/creds/password) LABEL=$(cat /etc/info/labels)"
        echo "MODE_BITS=$(stat -c %a /etc/app/app.conf) OWNER=$(stat -c %g /etc/app/app.conf)"
        echo "UID=$(id -u) GID=$(id -g) GROUPS=$(id -G)"
        grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/self/status | tr -s '\\t ' ' '
        touch /root-write 2>/dev/null && echo ROOT=writable || echo ROOT=read-only
        touch /etc/app/new 2>/dev/null && echo CONFIGMAP=writable || echo CONFIGMAP=read-only
        touch /scratch/file && echo SCRATCH=writable
        echo "HOSTNAME=$(hostname) HOSTS=$(grep -c "$POD_IP" /etc/hosts)"
        echo done; sleep 600
    """
    create(api, pod("env", script, securityContext={"fsGroup": 777}, container={
        "env": [
            {"name": "NAME", "value": "world"},
            {"name": "GREETING", "value": "hello-$(NAME)-$$(NAME)"},
            {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
            {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {"name": "MODE", "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "mode"}}},
            {"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "password"}}},
        ],
        "envFrom": [{"prefix": "CFG_", "configMapRef": {"name": "settings"}}],
        "volumeMounts": [
            {"name": "app", "mountPath": "/etc/app"}, {"name": "creds", "mountPath": "/etc/creds"},
            {"name": "info", "mountPath": "/etc/info"}, {"name": "scratch", "mountPath": "/scratch"},
        ],
    }, volumes=[
        {"name": "app", "configMap": {"name": "settings", "items": [{"key": "app.conf", "path": "app.conf"}],
                                      "defaultMode": 0o640}},
        {"name": "creds", "secret": {"secretName": "creds"}},
        {"name": "info", "downwardAPI": {
            "items": [{"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}}]}},
        {"name": "scratch", "emptyDir": {}},
    ]))
    text = wait_for("the container's report", lambda: output(node_agent, "env", "done"), TIMEOUT,
                    node_agent.diagnostics(NAMESPACE))
    status = status_of(api, "env")
    ip = status["podIP"]
    assert node_agent.runtime is not None
    network = node_agent.runtime.network
    assert any(ipaddress.ip_address(ip) in ipaddress.ip_network(network.pod_cidr(index))
               for index in range(len(node_agent.nodes)))
    assert f"GREETING=hello-world-$(NAME) POD_IP={ip} POD_NAME=env MODE=fast PASSWORD=s3cr=t" in text
    assert "FROM_MODE=fast" in text
    assert 'CONF=threads=4 SECRET=s3cr=t LABEL=test="env"' in text
    assert "MODE_BITS=640 OWNER=777" in text
    assert "UID=4321 GID=4321 GROUPS=4321 777" in text
    assert "CapEff: 0000000000000000" in text and "CapBnd: 0000000000000000" in text
    assert "NoNewPrivs: 1" in text
    assert "ROOT=read-only" in text and "CONFIGMAP=read-only" in text and "SCRATCH=writable" in text
    assert "HOSTNAME=env HOSTS=1" in text
    assert status["phase"] == "Running"
    assert {c["type"]: c["status"] for c in status["conditions"]}["Ready"] == "True"


def test_a_pod_reaches_the_api_server_with_its_own_token(api: KubernetesApi, node_agent: NodeAgent) -> None:
    """The projected token the ServiceAccount admission plugin injects authenticates the pod
    as its ServiceAccount; the Service name resolves through the cluster DNS."""
    script = """
        account=/var/run/secrets/kubernetes.io/serviceaccount
        code=$(curl -s -o /tmp/answer -w '%{http_code}' --cacert $account/ca.crt \\
            -H "Authorization: Bearer $(cat $account/token)" \\
            "https://kubernetes.default.svc/api/v1/namespaces/$(cat $account/namespace)/pods")
        echo "CODE=$code HOST=$KUBERNETES_SERVICE_HOST PORT=$KUBERNETES_SERVICE_PORT"
        cat /tmp/answer; echo; echo done; sleep 600
    """
    body = pod("token", script, container={"volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}]},
               volumes=[{"name": "tmp", "emptyDir": {}}])
    body["spec"]["automountServiceAccountToken"] = True
    create(api, body)
    text = wait_for("the API's answer", lambda: output(node_agent, "token", "done"), TIMEOUT,
                    node_agent.diagnostics(NAMESPACE))
    # Authenticated as its ServiceAccount, which RBAC grants nothing: 403, naming the account.
    assert "CODE=403" in text, text
    assert f"system:serviceaccount:{NAMESPACE}:default" in text
    assert "PORT=443" in text


def test_probes_decide_ready_and_liveness_restarts(api: KubernetesApi, node_agent: NodeAgent) -> None:
    script = "sleep 3; touch /tmp/ready; exec python3 -m http.server 8080 --directory /tmp"
    probe = {"periodSeconds": 1, "failureThreshold": 2}
    create(api, pod("probed", script, container={
        "readinessProbe": {"exec": {"command": ["test", "-f", "/tmp/ready"]}, **probe},
        "livenessProbe": {"httpGet": {"path": "/ready", "port": "http"}, "initialDelaySeconds": 5, **probe},
        "ports": [{"name": "http", "containerPort": 8080}],
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
    }, volumes=[{"name": "tmp", "emptyDir": {}}]))
    wait_for("running", lambda: main_status(api, "probed").get("state", {}).get("running"), TIMEOUT)
    assert main_status(api, "probed")["ready"] is False
    wait_for("ready", lambda: main_status(api, "probed").get("ready"), TIMEOUT)
    # Make the liveness probe fail: the container is killed and restarted, keeping the volume.
    worker = node_agent.worker(NAMESPACE, "probed")
    (worker.volumes or {})["tmp"].joinpath("ready").unlink()
    restarted = wait_for("a restart", lambda: main_status(api, "probed").get("restartCount", 0) >= 1 or None,
                         TIMEOUT, lambda: worker.log("main"))
    assert restarted
    status = main_status(api, "probed")
    assert status["lastState"]["terminated"]["reason"] == "Error"
    wait_for("ready again", lambda: main_status(api, "probed").get("ready"), TIMEOUT)


def test_job_pods_report_exit_codes(api: KubernetesApi, node_agent: NodeAgent) -> None:
    for name, code in (("succeeds", 0), ("fails", 3)):
        create(api, {
            "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name, "namespace": NAMESPACE},
            "spec": {"backoffLimit": 0, "template": {"spec": {
                **pod(name, f"exit {code}")["spec"], "restartPolicy": "Never"}}},
        })

    def job_condition(name: str) -> str | None:
        conditions = api.get("batch/v1", "Job", name, NAMESPACE).body.get("status", {}).get("conditions", [])
        done = [c["type"] for c in conditions
                if c["status"] == "True" and c["type"] in ("Complete", "Failed")]
        return done[0] if done else None

    assert wait_for("the job completes", lambda: job_condition("succeeds"), TIMEOUT) == "Complete"
    assert wait_for("the job fails", lambda: job_condition("fails"), TIMEOUT) == "Failed"
    pods = api.request("GET", f"/api/v1/namespaces/{NAMESPACE}/pods",
                       params={"labelSelector": "job-name=fails"})
    (failed,) = pods.body["items"]
    assert failed["status"]["phase"] == "Failed"
    assert failed["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"] == 3


def test_a_deleted_pod_gets_sigterm_then_sigkill_after_its_grace(
    api: KubernetesApi, node_agent: NodeAgent
) -> None:
    create(api, pod("polite", "trap 'echo got-TERM; exit 0' TERM; echo up; while true; do sleep 0.1; done"))
    create(api, pod("stubborn", "trap 'echo ignoring-TERM' TERM; echo up; while true; do sleep 0.1; done",
                    terminationGracePeriodSeconds=2))
    for name in ("polite", "stubborn"):
        wait_for(f"{name} up", lambda n=name: output(node_agent, n, "up"), TIMEOUT)
    timings = {}
    for name in ("polite", "stubborn"):
        started = time.monotonic()
        api.delete("v1", "Pod", name, NAMESPACE)
        wait_for(f"{name} gone", lambda n=name: not api.exists("v1", "Pod", n, NAMESPACE), TIMEOUT)
        timings[name] = time.monotonic() - started
    assert "got-TERM" in node_agent.worker(NAMESPACE, "polite").log("main")
    assert "ignoring-TERM" in node_agent.worker(NAMESPACE, "stubborn").log("main")
    assert timings["polite"] < 2.0, timings
    assert 2.0 <= timings["stubborn"] < 8.0, timings
    for name in ("polite", "stubborn"):
        worker = node_agent.worker(NAMESPACE, name)
        assert worker.finished.is_set() and not worker.container("main").alive
