"""Storage for the control-plane tests, provisioned by hand as a cluster admin would.

Each volume is a static ``hostPath`` PersistentVolume on a folder of the test's own, owned by
the user and group of the pods that will claim it (the kubelet changes no ownership on a
hostPath volume, fsGroup or not), with no storage class, as a claim without one asks when the
cluster has no default class. The controller manager's persistentvolume-binder binds each
claim to a volume whose access modes and capacity fit; ``Retain``: a deleted claim leaves its
volume Released, and the volumes are deleted once the claims' namespace is gone.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.kubernetes_api import KubernetesApi

VOLUME_MODE = 0o2770
"""A provisioned volume's folder: its owner and group (setgid, so new files keep the group)."""
DELETE_TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True)
class StaticVolume:
    """One PersistentVolume to provision: its name, access mode, capacity, and who owns it."""

    name: str
    access_mode: str
    capacity: str
    user: int
    group: int


def persistent_volume(volume: StaticVolume, path: Path) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": volume.name},
        "spec": {
            "capacity": {"storage": volume.capacity},
            "accessModes": [volume.access_mode],
            "persistentVolumeReclaimPolicy": "Retain",
            "storageClassName": "",
            "hostPath": {"path": str(path), "type": "Directory"},
        },
    }


@contextlib.contextmanager
def static_volumes(
    api: KubernetesApi, folder: Path, volumes: Sequence[StaticVolume]
) -> Iterator[dict[str, Path]]:
    """Provision ``volumes`` in ``folder``; volume name -> its folder. Deletes the volumes
    afterwards and waits until they are gone (their claims must be gone first)."""
    made: dict[str, Path] = {}
    try:
        for volume in volumes:
            path = folder / volume.name
            path.mkdir()
            os.chown(path, volume.user, volume.group)
            path.chmod(VOLUME_MODE)
            made[volume.name] = path
            answer = api.apply(persistent_volume(volume, path))
            assert answer.ok, f"persistentvolume {volume.name}: {answer.message}"
        yield made
    finally:
        for name in made:
            api.delete("v1", "PersistentVolume", name)
        deadline = time.monotonic() + DELETE_TIMEOUT_SECONDS
        while any(api.exists("v1", "PersistentVolume", n) for n in made) and time.monotonic() < deadline:
            time.sleep(0.5)
        left = [n for n in made if api.exists("v1", "PersistentVolume", n)]
        assert not left, f"persistentvolumes not deleted: {left}"


def claim(name: str, namespace: str, access_mode: str, storage: str) -> dict[str, Any]:
    """A PersistentVolumeClaim without a storage class (a statically provisioned volume)."""
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"accessModes": [access_mode], "resources": {"requests": {"storage": storage}},
                 "storageClassName": ""},
    }
