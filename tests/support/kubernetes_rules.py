"""What the Kubernetes API server and the kubelet check beyond the JSON schema, written from
Kubernetes' own rules (k8s.io/apimachinery/pkg/util/validation, pkg/apis/core/validation), apart
from the library: it imports nothing of pulumi_flink, so a name the builders and the spec's
checks agree on wrongly still shows here.

``violations(objects)`` lists every broken rule of a render: names unique within their lists,
references that resolve, name formats, and size limits.
"""

from __future__ import annotations

import posixpath
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

import yaml

Obj = dict[str, Any]

ANNOTATIONS_LIMIT = 256 * 1024  # TotalAnnotationSizeLimitB
CONFIG_MAP_LIMIT = 1024 * 1024  # MaxSecretSize, checked on ConfigMaps too
DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
ENV_NAME = re.compile(r"[-._a-zA-Z][-._a-zA-Z0-9]*")
LABEL_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job")


def label(value: str) -> bool:
    return len(value) <= 63 and DNS_LABEL.fullmatch(value) is not None


def subdomain(value: str) -> bool:
    return len(value) <= 253 and DNS_SUBDOMAIN.fullmatch(value) is not None


def qualified_name(key: str) -> bool:
    prefix, slash, name = key.rpartition("/")
    if slash and not subdomain(prefix):
        return False
    return len(name) <= 63 and LABEL_NAME.fullmatch(name) is not None


def label_value(value: str) -> bool:
    return len(value) <= 63 and LABEL_VALUE.fullmatch(value) is not None


def duplicates(values: list[str]) -> list[str]:
    return sorted(value for value, count in Counter(values).items() if count > 1)


def pods(objects: list[Obj]) -> Iterator[tuple[str, Obj, set[str]]]:
    """(where, pod template, claim names) of every pod a render makes: the workloads', and the
    pods a ConfigMap carries as a YAML file (a native TaskManager pod template). A
    StatefulSet's claim templates are volumes of its pods as well."""
    for obj in objects:
        where = f"{obj['kind']}/{obj['metadata']['name']}"
        if obj["kind"] in WORKLOADS:
            claims = {c["metadata"]["name"] for c in obj["spec"].get("volumeClaimTemplates", [])}
            yield where, obj["spec"]["template"], claims
        elif obj["kind"] == "ConfigMap":
            for key, text in (obj.get("data") or {}).items():
                document = yaml.safe_load(text) if key.endswith((".yaml", ".yml")) else None
                if isinstance(document, dict) and document.get("kind") == "Pod":
                    yield f"{where}[{key}]", document, set()


def metadata_violations(where: str, metadata: Obj) -> list[str]:
    found = []
    annotations = metadata.get("annotations") or {}
    size = sum(len(k) + len(v) for k, v in annotations.items())
    if size > ANNOTATIONS_LIMIT:
        found.append(f"{where}: annotations take {size} bytes, over {ANNOTATIONS_LIMIT}")
    for key in annotations:
        if not qualified_name(key):
            found.append(f"{where}: annotation key {key!r}")
    for key, value in (metadata.get("labels") or {}).items():
        if not qualified_name(key) or not label_value(value):
            found.append(f"{where}: label {key!r}: {value!r}")
    return found


def container_violations(where: str, container: Obj, volumes: set[str]) -> list[str]:
    found = []
    env = [entry.get("name", "") for entry in container.get("env", [])]
    found += [f"{where}: env {name!r} twice" for name in duplicates(env)]
    found += [f"{where}: env name {name!r}" for name in env if not ENV_NAME.fullmatch(name)]
    for entry in container.get("env", []):
        if "value" in entry and "valueFrom" in entry:
            found.append(f"{where}: env {entry['name']!r} has value and valueFrom")
        if "value" in entry and not isinstance(entry["value"], str):
            found.append(f"{where}: env {entry['name']!r} value is not a string")
        source = entry.get("valueFrom")
        if source is not None and len(source) != 1:
            found.append(f"{where}: env {entry['name']!r} valueFrom has {len(source)} sources")
    mounts = container.get("volumeMounts", [])
    paths = [posixpath.normpath(m["mountPath"]).replace("//", "/") for m in mounts]
    found += [f"{where}: two mounts at {path}" for path in duplicates(paths)]
    for mount in mounts:
        if mount["name"] not in volumes:
            found.append(f"{where}: mount of missing volume {mount['name']!r}")
        if not mount["mountPath"].startswith("/") or ".." in mount["mountPath"].split("/"):
            found.append(f"{where}: mount path {mount['mountPath']!r}")
    ports = [p["name"] for p in container.get("ports", []) if "name" in p]
    found += [f"{where}: port {name!r} twice" for name in duplicates(ports)]
    found += [f"{where}: port name {name!r}" for name in ports if len(name) > 15 or not label(name)]
    return found


def pod_violations(where: str, template: Obj, claims: frozenset[str] | set[str] = frozenset()) -> list[str]:
    found = metadata_violations(where, template.get("metadata") or {})
    pod = template.get("spec") or {}
    volumes = pod.get("volumes", [])
    names = [v["name"] for v in volumes]
    found += [f"{where}: volume {name!r} twice" for name in duplicates(names)]
    found += [f"{where}: volume name {name!r}" for name in names if not label(name)]
    for volume in volumes:
        sources = [key for key in volume if key != "name"]
        if len(sources) != 1:
            found.append(f"{where}: volume {volume['name']!r} has sources {sources}")
    containers = [*pod.get("initContainers", []), *pod.get("containers", [])]
    container_names = [c["name"] for c in containers]
    found += [f"{where}: container {name!r} twice" for name in duplicates(container_names)]
    found += [f"{where}: container name {name!r}" for name in container_names if not label(name)]
    for container in containers:
        found += container_violations(f"{where}/{container['name']}", container, {*names, *claims})
    for key, value in (pod.get("nodeSelector") or {}).items():
        if not qualified_name(key) or not label_value(value):
            found.append(f"{where}: node selector {key!r}: {value!r}")
    for toleration in pod.get("tolerations", []):
        if toleration.get("operator") == "Exists" and toleration.get("value"):
            found.append(f"{where}: toleration {toleration} has Exists and a value")
        if not toleration.get("key") and toleration.get("operator") != "Exists":
            found.append(f"{where}: toleration {toleration} has no key and is not Exists")
    for secret in pod.get("imagePullSecrets", []):
        if not subdomain(secret["name"]):
            found.append(f"{where}: image pull secret {secret['name']!r}")
    account = pod.get("serviceAccountName")
    if account is not None and not subdomain(account):
        found.append(f"{where}: service account {account!r}")
    return found


def violations(objects: list[Obj]) -> list[str]:
    found = []
    for obj in objects:
        where = f"{obj['kind']}/{obj['metadata']['name']}"
        found += metadata_violations(where, obj["metadata"])
        if not subdomain(obj["metadata"]["name"]):
            found.append(f"{where}: object name")
        if obj["kind"] == "ConfigMap":
            data = obj.get("data") or {}
            size = sum(len(k) + len(v.encode()) for k, v in data.items())
            if size > CONFIG_MAP_LIMIT:
                found.append(f"{where}: data takes {size} bytes, over {CONFIG_MAP_LIMIT}")
    for where, template, claims in pods(objects):
        found += pod_violations(where, template, claims)
    return found
