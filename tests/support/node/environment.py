"""A container's environment as the kubelet builds it from the API.

Order and precedence are the kubelet's: the image's env, then the ``kubernetes`` Service's
link variables, then ``envFrom`` sources in order, then ``env`` entries in order, each later
name replacing an earlier one; ``$(VAR)`` in ``env`` values refers to what is defined before
it (``$$`` escapes, unknown references stay). Supported ``valueFrom``: ``fieldRef`` (the
downward API's pod fields), ``resourceFieldRef``, ``configMapKeyRef`` and ``secretKeyRef``
(``optional`` honoured).

One difference from a kubelet: Service link variables (``<NAME>_SERVICE_HOST`` and the
docker-link ``<NAME>_PORT*`` set) are given for the ``kubernetes`` Service only, pointing at
the API server's endpoint. A cluster gives them for every Service of the namespace with its
ClusterIP; here no ClusterIP routes anywhere (no kube-proxy, see cluster_dns), and Flink
reads none but ``KUBERNETES_SERVICE_HOST`` and ``KUBERNETES_SERVICE_PORT`` (its Kubernetes
client's way to the API server).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping
from typing import Any

from tests.support.pods.plans import expand_references


class ConfigError(Exception):
    """The pod names a ConfigMap, Secret, key or field it cannot have (CreateContainerConfigError)."""


Lookup = Callable[[str, str], dict[str, Any] | None]
"""(kind, name) -> the ConfigMap or Secret of the pod's namespace, or None if absent."""

LABEL_FIELD = re.compile(r"^metadata\.(labels|annotations)\['(.+)'\]$")


def field_value(pod: Mapping[str, Any], path: str) -> str:
    """A downward-API field of ``pod`` (as the API server has it, status included)."""
    metadata, spec, status = pod["metadata"], pod["spec"], pod.get("status", {})
    simple = {
        "metadata.name": metadata["name"],
        "metadata.namespace": metadata.get("namespace", "default"),
        "metadata.uid": metadata.get("uid", ""),
        "spec.nodeName": spec.get("nodeName", ""),
        "spec.serviceAccountName": spec.get("serviceAccountName", "default"),
        "status.hostIP": status.get("hostIP", ""),
        "status.podIP": status.get("podIP", ""),
        "status.podIPs": ",".join(a["ip"] for a in status.get("podIPs", [])),
    }
    if path in simple:
        return str(simple[path])
    match = LABEL_FIELD.match(path)
    if match:
        return str(metadata.get(match[1], {}).get(match[2], ""))
    if path in ("metadata.labels", "metadata.annotations"):
        values = metadata.get(path.split(".")[1], {})
        return "".join(f'{key}="{value}"\n' for key, value in sorted(values.items()))
    raise ConfigError(f"fieldRef {path!r} is not a downward-API field")


QUANTITY = re.compile(r"^(?P<number>[0-9.]+)(?P<suffix>m|k|M|G|T|Ki|Mi|Gi|Ti)?$")
SUFFIXES = {"": 1, "m": 0.001, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12,
            "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}


def quantity(text: str) -> float:
    match = QUANTITY.match(str(text))
    if match is None:
        raise ConfigError(f"quantity {text!r}")
    return float(match["number"]) * SUFFIXES[match["suffix"] or ""]


def resource_value(container: Mapping[str, Any], reference: Mapping[str, Any]) -> str:
    """``resourceFieldRef``: the container's limit or request, divided and rounded up, as the
    kubelet gives it (an unset limit is the node's allocatable: not emulated, refused)."""
    kind, _, resource = reference["resource"].partition(".")
    values = container.get("resources", {}).get(kind, {})
    if resource not in values:
        raise ConfigError(
            f"resourceFieldRef {reference['resource']}: unset (node allocatable is not emulated)")
    divisor = quantity(reference.get("divisor", "1"))
    amount = quantity(values[resource]) / divisor
    return str(max(1, int(-(-amount // 1))))


def _source_data(lookup: Lookup, kind: str, name: str, optional: bool) -> dict[str, str] | None:
    found = lookup(kind, name)
    if found is None:
        if optional:
            return None
        raise ConfigError(f'{kind.lower()} "{name}" not found')
    if kind == "Secret":
        return {key: base64.b64decode(value).decode() for key, value in found.get("data", {}).items()}
    return dict(found.get("data", {}))


def _key_ref(lookup: Lookup, kind: str, reference: Mapping[str, Any]) -> str | None:
    data = _source_data(lookup, kind, reference["name"], bool(reference.get("optional")))
    if data is None:
        return None
    if reference["key"] not in data:
        if reference.get("optional"):
            return None
        raise ConfigError(f"couldn't find key {reference['key']} in {kind} {reference['name']}")
    return data[reference["key"]]


def service_links(name: str, host: str, port: int) -> dict[str, str]:
    """The link variables of one Service with one TCP port named ``https`` (as ``kubernetes``)."""
    prefix = name.upper().replace("-", "_")
    return {
        f"{prefix}_SERVICE_HOST": host,
        f"{prefix}_SERVICE_PORT": str(port),
        f"{prefix}_SERVICE_PORT_HTTPS": str(port),
        f"{prefix}_PORT": f"tcp://{host}:{port}",
        f"{prefix}_PORT_{port}_TCP": f"tcp://{host}:{port}",
        f"{prefix}_PORT_{port}_TCP_PROTO": "tcp",
        f"{prefix}_PORT_{port}_TCP_PORT": str(port),
        f"{prefix}_PORT_{port}_TCP_ADDR": host,
    }


def container_environment(
    pod: Mapping[str, Any],
    container: Mapping[str, Any],
    image_env: Mapping[str, str],
    lookup: Lookup,
    api_endpoint: tuple[str, int],
) -> dict[str, str]:
    """The container's environment (see the module docstring)."""
    resolved: dict[str, str] = dict(image_env)
    resolved.update(service_links("kubernetes", *api_endpoint))
    for source in container.get("envFrom", []):
        kind, reference = ("ConfigMap", source["configMapRef"]) if "configMapRef" in source else (
            "Secret", source["secretRef"])
        data = _source_data(lookup, kind, reference["name"], bool(reference.get("optional")))
        for key, item in (data or {}).items():
            resolved[f"{source.get('prefix', '')}{key}"] = item
    for entry in container.get("env", []):
        if "valueFrom" not in entry:
            resolved[entry["name"]] = expand_references(str(entry.get("value", "")), resolved)
            continue
        source = entry["valueFrom"]
        value: str | None
        if "fieldRef" in source:
            value = field_value(pod, source["fieldRef"]["fieldPath"])
        elif "resourceFieldRef" in source:
            value = resource_value(container, source["resourceFieldRef"])
        elif "configMapKeyRef" in source:
            value = _key_ref(lookup, "ConfigMap", source["configMapKeyRef"])
        elif "secretKeyRef" in source:
            value = _key_ref(lookup, "Secret", source["secretKeyRef"])
        else:
            raise ConfigError(f"env {entry['name']}: valueFrom {sorted(source)} is not emulated")
        if value is not None:
            resolved[entry["name"]] = value
    return resolved
