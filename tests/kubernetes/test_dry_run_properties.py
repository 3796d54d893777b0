"""The front door's property, on a real API server: stack configs drawn as the property tests
draw them (tests/support/stack_strategies.py: any field of the spec, valid) render objects the
API server accepts. Each object is applied server-side with ``dryRun=All``, so schema,
semantic validation and admission decide, in namespaces that enforce PodSecurity
``restricted``; a workload's pod template draws no PodSecurity warning.

The Prometheus operator's PodMonitor and ServiceMonitor are rendered too: their CRDs, from the
operator's own Go module (its example/prometheus-operator-crd/ folder), are installed for this
module, so the API server validates those objects against the operator's schema as well.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given

from pulumi_flink.offline.renderer import render_stack
from pulumi_flink.program import parse_stack_config
from tests.support.control_plane import ControlPlane
from tests.support.fuzz import fuzz_settings
from tests.support.kubernetes_api import KubernetesApi
from tests.support.kubernetes_cluster import delete_namespace, make_namespace, namespaces_of, where
from tests.support.stack_schema import CLUSTERS
from tests.support.stack_strategies import stack_configs

pytestmark = pytest.mark.kubernetes

EXAMPLES = 16
PROMETHEUS_OPERATOR = "github.com/prometheus-operator/prometheus-operator"
PROMETHEUS_OPERATOR_VERSION = "v0.85.0"
"""The newest version of the operator's main module the Go module proxy lists."""
MONITOR_KINDS = ("PodMonitor", "ServiceMonitor")
CRD_API = ("apiextensions.k8s.io/v1", "CustomResourceDefinition")
CRD_TIMEOUT_SECONDS = 30.0


def operator_crds() -> list[dict[str, Any]]:
    """The CRDs of the kinds the library renders, as the operator's module ships them."""
    with tempfile.TemporaryDirectory() as outside_any_module:
        result = subprocess.run(
            ["go", "mod", "download", "-json", f"{PROMETHEUS_OPERATOR}@{PROMETHEUS_OPERATOR_VERSION}"],
            cwd=outside_any_module,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    assert result.returncode == 0, result.stdout + result.stderr
    folder = Path(json.loads(result.stdout)["Dir"]) / "example" / "prometheus-operator-crd"
    files = [folder / f"monitoring.coreos.com_{kind.lower()}s.yaml" for kind in MONITOR_KINDS]
    crds = [yaml.safe_load(path.read_text()) for path in files]
    assert [c["spec"]["names"]["kind"] for c in crds] == list(MONITOR_KINDS)
    return crds


def established(api: KubernetesApi, name: str) -> bool:
    # A CRD just created has "conditions": null until the establishing controller writes them.
    conditions = api.get(*CRD_API, name).body.get("status", {}).get("conditions") or []
    return any(c["type"] == "Established" and c["status"] == "True" for c in conditions)


@pytest.fixture(scope="module")
def api(control_plane: ControlPlane) -> Iterator[KubernetesApi]:
    """The control plane's API, serving the Prometheus operator's PodMonitor and ServiceMonitor."""
    api = control_plane.api
    assert api is not None
    crds = operator_crds()
    names = [c["metadata"]["name"] for c in crds]
    try:
        for crd in crds:
            answer = api.apply(crd)
            assert answer.ok, f"{crd['metadata']['name']}: {answer.status} {answer.message}"
        deadline = time.monotonic() + CRD_TIMEOUT_SECONDS
        while not all(established(api, n) for n in names) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert all(established(api, n) for n in names), names
        api.rediscover()
        yield api
    finally:
        for name in names:
            api.delete(*CRD_API, name)
        deadline = time.monotonic() + CRD_TIMEOUT_SECONDS
        while any(api.exists(*CRD_API, n) for n in names) and time.monotonic() < deadline:
            time.sleep(0.2)
        api.rediscover()


def is_workload(obj: dict[str, Any]) -> bool:
    """An object with a pod template: what PodSecurity checks, and warns about."""
    return "template" in obj.get("spec", {}) and "spec" in obj["spec"]["template"]


def monitors_asked(config: dict[str, Any]) -> int:
    """The PodMonitors and ServiceMonitors a stack config's clusters ask for: one of each kind
    asked per Flink cluster, and a per-job cluster is one Flink cluster per job."""
    return sum(
        bool((cluster.get("metrics") or {}).get(key))
        * (len(cluster["jobs"]) if cluster.get("mode") == "per-job" else 1)
        for cluster in config[CLUSTERS]
        for key in ("podMonitor", "serviceMonitor")
    )


def dry_run_all(api: KubernetesApi, objects: list[dict[str, Any]], made: dict[str, bool]) -> None:
    """Each object dry-run (accepted, workloads unwarned), in namespaces made once and noted in
    ``made`` (name -> whether it was there before: default, kube-*)."""
    for name in namespaces_of(objects):
        if name not in made:
            made[name] = api.exists("v1", "Namespace", name)
            make_namespace(api, name)
    for obj in objects:
        answer = api.apply(obj, dry_run=True)
        assert answer.ok, f"{where(obj)}: {answer.status} {answer.message}\n{json.dumps(obj)}"
        if is_workload(obj):
            assert answer.warnings == (), f"{where(obj)}: {answer.warnings}"


def remove_namespaces(api: KubernetesApi, made: dict[str, bool]) -> None:
    for name, existed in made.items():
        if existed:
            make_namespace(api, name, restricted=False)  # its PodSecurity labels off again
        else:
            delete_namespace(api, name)


def test_drawn_valid_stack_configs_render_objects_the_api_server_accepts(api: KubernetesApi) -> None:
    kinds: Counter[str] = Counter()
    drawn: Counter[str] = Counter()
    made: dict[str, bool] = {}

    @fuzz_settings(EXAMPLES)
    @given(config=stack_configs())
    def accepted(config: dict[str, Any]) -> None:
        objects = render_stack(parse_stack_config(config), stack_name="fuzz").kubernetes_objects()
        dry_run_all(api, objects, made)
        drawn.update(examples=1, clusters=len(config[CLUSTERS]), monitors=monitors_asked(config))
        kinds.update(o["kind"] for o in objects)

    try:
        accepted()
    finally:
        remove_namespaces(api, made)
    print(f"\n{dict(drawn)}, {len(made)} namespaces, {sum(kinds.values())} objects: {dict(kinds)}")
    assert drawn["examples"] >= EXAMPLES
    # Every object was dry-run, the operator's kinds too: as many as the configs asked for.
    assert sum(kinds[kind] for kind in MONITOR_KINDS) == drawn["monitors"], dict(kinds)


def test_the_operator_crds_accept_the_rendered_monitors(api: KubernetesApi) -> None:
    """Valid draws seldom ask for a monitor (it needs networkPolicy.metricsFrom as well), so
    one of each kind, dry-run against the operator's CRDs like the drawn objects."""
    scraped = {"metricsFrom": [{"namespaceSelector": {"matchLabels": {"name": "monitoring"}}}]}
    base = {"flinkVersion": "1.20.3", "namespace": "flink-metrics", "networkPolicy": scraped}
    config = {
        CLUSTERS: [
            {**base, "name": "pods", "metrics": {"podMonitor": True, "monitorLabels": {"release": "a"}}},
            {**base, "name": "services", "metrics": {"serviceMonitor": True}},
        ]
    }
    objects = render_stack(parse_stack_config(config), stack_name="fuzz").kubernetes_objects()
    monitors = Counter(o["kind"] for o in objects if o["kind"] in MONITOR_KINDS)
    assert monitors == dict.fromkeys(MONITOR_KINDS, 1)
    made: dict[str, bool] = {}
    try:
        dry_run_all(api, objects, made)
    finally:
        remove_namespaces(api, made)
