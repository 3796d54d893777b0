"""A pod's volumes on the host, made from the API as the kubelet makes them.

Each volume is a directory ``<pod>/volumes/<name>``, bind-mounted at each container's mount
path. Supported: ``emptyDir`` (any medium: a directory), ``configMap`` and ``secret`` (the
listed items or every key, ``defaultMode`` and per-item ``mode``, ``optional``),
``downwardAPI`` (``fieldRef`` and ``resourceFieldRef`` items), ``projected`` (the sources
``serviceAccountToken`` through the TokenRequest API, bound to the pod, ``configMap``,
``secret`` and ``downwardAPI``: what the ServiceAccount admission plugin injects as
``kube-api-access-*``), and ``persistentVolumeClaim`` bound to a ``hostPath`` or ``local``
PersistentVolume (the PV's directory itself). The content volumes are read-only in every
container, as the kubelet mounts them.

Ownership as the kubelet sets it: with ``fsGroup``, every file and directory of a volume
belongs to that group, directories get the setgid bit and group access (read-only volumes
read, the rest read-write); without it, a service-account token belongs to the user every container runs as,
when they all run as one, so the process can read its 0600 token.

Differences from a kubelet: content volumes are written once, when the pod starts (the
kubelet refreshes ConfigMap and Secret volumes within about a minute, and a token before it
expires; the tests run far shorter than a token's hour); files are written directly, not
through the ``..data`` symlink swap the kubelet uses for atomic updates.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from tests.support.node.environment import ConfigError, Lookup, field_value, resource_value

CONTENT_KINDS = ("configMap", "secret", "downwardAPI", "projected")
"""Volumes the kubelet always mounts read-only."""
DEFAULT_MODE = 0o644
TOKEN_MODE = 0o600
TOKEN_SECONDS = 3607
"""What the ServiceAccount admission plugin asks for (an hour, plus seven seconds)."""


@dataclass(frozen=True)
class Mount:
    container_path: str
    host_path: Path
    read_only: bool


class PendingVolume(Exception):
    """A volume that cannot be set up yet (a claim not bound): the pod waits, as it would."""


TokenIssuer = Callable[[Mapping[str, Any], Mapping[str, Any]], str]
"""(pod, serviceAccountToken source) -> a token for the pod's ServiceAccount."""
ClaimLookup = Callable[[str], Path]
"""claimName -> the bound volume's directory; raises PendingVolume until it is bound."""


def _write(directory: Path, path: str, content: bytes, mode: int) -> None:
    relative = PurePosixPath(path)
    if relative.is_absolute() or ".." in relative.parts:
        raise ConfigError(f"item path {path!r} must be relative without '..'")
    target = directory / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)
    target.chmod(mode)


def _key_items(
    directory: Path, data: Mapping[str, bytes], source: Mapping[str, Any], default_mode: int, where: str
) -> None:
    items = source.get("items") or [{"key": key, "path": key} for key in sorted(data)]
    for item in items:
        if item["key"] not in data:
            if source.get("optional"):
                continue
            raise ConfigError(f"{where}: no key {item['key']!r}")
        _write(directory, item["path"], data[item["key"]], item.get("mode", default_mode))


def _data(lookup: Lookup, kind: str, source: Mapping[str, Any]) -> dict[str, bytes] | None:
    name = source.get("name") or source.get("secretName", "")
    found = lookup(kind, name)
    if found is None:
        if source.get("optional"):
            return None
        raise ConfigError(f'{kind.lower()} "{name}" not found')
    if kind == "Secret":
        return {key: base64.b64decode(value) for key, value in found.get("data", {}).items()}
    data = {key: value.encode() for key, value in found.get("data", {}).items()}
    data.update({key: base64.b64decode(value) for key, value in found.get("binaryData", {}).items()})
    return data


def _downward_items(
    directory: Path, pod: Mapping[str, Any], source: Mapping[str, Any], default_mode: int
) -> None:
    containers = {c["name"]: c for c in pod["spec"]["containers"]}
    for item in source.get("items", []):
        if "fieldRef" in item:
            value = field_value(pod, item["fieldRef"]["fieldPath"])
        else:
            reference = item["resourceFieldRef"]
            value = resource_value(containers[reference["containerName"]], reference)
        _write(directory, item["path"], value.encode(), item.get("mode", default_mode))


def _own(directory: Path, group: int | None, read_only: bool) -> None:
    if group is None:
        return
    file_bits, dir_bits = (0o440, 0o2550) if read_only else (0o660, 0o2770)
    for root, dirs, files in os.walk(directory):
        os.chown(root, -1, group)
        os.chmod(root, os.stat(root).st_mode | dir_bits)
        for name in (*dirs, *files):
            path = os.path.join(root, name)
            if name in files:
                os.chown(path, -1, group)
                os.chmod(path, os.stat(path).st_mode | file_bits)


def _single_user(pod: Mapping[str, Any]) -> int | None:
    """The user every container runs as, if they all run as one (the kubelet then gives
    it the token); None otherwise."""
    default = pod["spec"].get("securityContext", {}).get("runAsUser")
    spec = pod["spec"]
    users = {c.get("securityContext", {}).get("runAsUser", default)
             for c in [*spec.get("initContainers", []), *spec["containers"]]}
    (user,) = users if len(users) == 1 else (None,)
    return int(user) if user is not None else None


def make_volume(
    directory: Path,
    volume: Mapping[str, Any],
    pod: Mapping[str, Any],
    lookup: Lookup,
    issue_token: TokenIssuer,
    claim_directory: ClaimLookup,
) -> Path:
    """The volume's directory, filled (see the module docstring); a claim's is the PV's own."""
    name = volume["name"]
    if "persistentVolumeClaim" in volume:
        return claim_directory(volume["persistentVolumeClaim"]["claimName"])
    directory.mkdir(parents=True, exist_ok=True)
    security = pod["spec"].get("securityContext", {})
    group = security.get("fsGroup")
    if "emptyDir" in volume:
        directory.chmod(0o777)  # the kubelet's emptyDir mode
        _own(directory, group, read_only=False)
        return directory
    if "configMap" in volume or "secret" in volume:
        kind = "ConfigMap" if "configMap" in volume else "Secret"
        source = volume["configMap"] if kind == "ConfigMap" else volume["secret"]
        data = _data(lookup, kind, source)
        _key_items(directory, data or {}, source, source.get("defaultMode", DEFAULT_MODE), f"volume {name}")
    elif "downwardAPI" in volume:
        source = volume["downwardAPI"]
        _downward_items(directory, pod, source, source.get("defaultMode", DEFAULT_MODE))
    elif "projected" in volume:
        projected = volume["projected"]
        default_mode = projected.get("defaultMode", DEFAULT_MODE)
        for source in projected.get("sources", []):
            if "serviceAccountToken" in source:
                token = source["serviceAccountToken"]
                _write(directory, token["path"], issue_token(pod, token).encode(), TOKEN_MODE)
                user = _single_user(pod)
                if group is None and user is not None:
                    os.chown(directory / token["path"], user, -1)
            elif "configMap" in source or "secret" in source:
                kind = "ConfigMap" if "configMap" in source else "Secret"
                inner = source["configMap"] if kind == "ConfigMap" else source["secret"]
                data = _data(lookup, kind, inner)
                _key_items(directory, data or {}, inner, default_mode, f"volume {name}")
            elif "downwardAPI" in source:
                _downward_items(directory, pod, source["downwardAPI"], default_mode)
            else:
                raise ConfigError(f"volume {name}: projected source {sorted(source)} is not emulated")
    else:
        kinds = sorted(set(volume) - {"name"})
        raise ConfigError(f"volume {name}: {kinds} is not emulated")
    _own(directory, group, read_only=True)
    return directory


def container_mounts(
    container: Mapping[str, Any], volumes: Mapping[str, Mapping[str, Any]], made: Mapping[str, Path]
) -> list[Mount]:
    """The container's mounts, in order; content volumes read-only whatever the mount says."""
    mounts = []
    for mount in container.get("volumeMounts", []):
        if mount.get("subPathExpr"):
            raise ConfigError(f"volumeMount {mount['name']}: subPathExpr is not emulated")
        volume = volumes[mount["name"]]
        host = made[mount["name"]]
        if mount.get("subPath"):
            relative = PurePosixPath(mount["subPath"])
            if relative.is_absolute() or ".." in relative.parts:
                raise ConfigError(f"volumeMount {mount['name']}: subPath {mount['subPath']!r}")
            host = host / relative
            if not host.exists():
                host.mkdir(parents=True)
        read_only = bool(mount.get("readOnly")) or any(kind in volume for kind in CONTENT_KINDS)
        mounts.append(Mount(mount["mountPath"], host, read_only))
    return mounts
