"""The Flink configuration: its file, the spec text it carries, the keys the library manages,
and the local directories Flink writes to."""

from __future__ import annotations

import posixpath
import re

from pulumi_flink.model.layout import HA_STORAGE_MOUNT, LOG_DIR, TMP_DIR
from pulumi_flink.render.flink_config import (
    config_entries,
    config_text_refusal,
    local_dir_names,
    managed_names,
    placeholder_ha_cluster_id,
)
from pulumi_flink.spec import FlinkClusterSpec
from pulumi_flink.spec.errors import Problem


def check_config_file(spec: FlinkClusterSpec) -> list[Problem]:
    version = spec.version
    if spec.config_file == "config.yaml" and not version.reads_config_yaml:
        return [
            Problem(
                "configFile",
                f"Flink {version} cannot read config.yaml (it arrived in 1.19).",
                "use 'auto' or 'flink-conf.yaml', or pick Flink 1.19 or later",
            )
        ]
    if spec.config_file == "flink-conf.yaml" and not version.reads_flink_conf_yaml:
        return [
            Problem(
                "configFile",
                f"Flink {version} reads only config.yaml; flink-conf.yaml was removed in 2.0.",
                "use 'auto' or 'config.yaml'",
            )
        ]
    return []


def check_config_text(spec: FlinkClusterSpec) -> list[Problem]:
    """Every piece of spec text the config file would carry, against what that file can carry
    for Flink to read it back exactly; refused at the field it came from."""
    if check_config_file(spec):
        return []  # no file to check against
    file_name = spec.resolved_config_file
    problems: list[Problem] = []
    # With the HA id the size checks render with: one render of the spec serves both.
    for text in config_entries(spec, placeholder_ha_cluster_id(spec)).texts:
        refusal = config_text_refusal(text, file_name)
        if refusal is None:
            continue
        fix = refusal.fix
        if refusal.flink_conf_only and spec.version.reads_config_yaml:
            fix += ", or set configFile: config.yaml, which carries any text"
        problem = Problem(text.path, refusal.message, fix)
        if problem not in problems:  # storageDir is the prefix of three values
            problems.append(problem)
    return problems


def check_managed_keys(spec: FlinkClusterSpec) -> list[Problem]:
    managed = managed_names(spec.version)
    problems = []
    for key in spec.flink_configuration:
        name = managed.get(key)
        if name is None:
            continue
        instead = name.instead
        fix = (
            f"remove it and set {instead} instead"
            if not instead.startswith("(")
            else f"remove it; the library sets it {instead}"
        )
        message = "this key is managed by pulumi-flink."
        if name.alias is not None:
            major, minor = spec.version.minor_key
            message = f"this key is {name.alias} on Flink {major}.{minor}, which is managed by pulumi-flink."
        problems.append(Problem(f"flinkConfiguration.{key}", message, fix))
    return problems


# Volume kinds Kubernetes always mounts read-only, whatever the mount says.
_READ_ONLY_VOLUMES = ("configMap", "secret", "downwardAPI", "projected", "image")


def writable_paths(spec: FlinkClusterSpec) -> list[str]:
    """Where a Flink container can write when its root filesystem is read-only: the
    library's emptyDirs, the HA claim, and the user's volumes mounted without ``readOnly``
    (but never a ConfigMap, Secret, downward-API, projected or image volume)."""
    paths = [TMP_DIR, LOG_DIR]
    if spec.high_availability.enabled and spec.high_availability.volume_claim is not None:
        paths.append(HA_STORAGE_MOUNT)
    volumes = {v["name"]: v for v in spec.pod.volumes}
    for mount in spec.pod.volume_mounts:
        volume = volumes.get(mount["name"], {})
        if not mount.get("readOnly", False) and not any(kind in volume for kind in _READ_ONLY_VOLUMES):
            paths.append(posixpath.normpath(mount["mountPath"]))
    return paths


def _local_dirs(value: object) -> list[str]:
    """The directories of a Flink option naming one or several (',', '|' or ':' between
    them, as io.tmp.dirs takes them), with any ``file:`` scheme dropped."""
    text = re.sub(r"file:(//)?", "", str(value))
    return [part.strip() for part in re.split(r"[,|:]", text) if part.strip()]


def check_local_dirs(spec: FlinkClusterSpec) -> list[Problem]:
    """With a read-only root filesystem, a local directory Flink writes to must be on a
    writable volume, or the process fails when it first writes there."""
    if not spec.pod.read_only_root_filesystem:
        return []
    writable = writable_paths(spec)
    problems = []
    local_dirs = local_dir_names(spec.version)
    for key, value in spec.flink_configuration.items():
        if key not in local_dirs:
            continue
        for path in _local_dirs(value):
            normal = posixpath.normpath(path)
            if posixpath.isabs(normal) and any(
                normal == root or normal.startswith(root.rstrip("/") + "/") for root in writable
            ):
                continue
            where = "" if posixpath.isabs(path) else " (relative: under the working directory /opt/flink)"
            problems.append(
                Problem(
                    f"flinkConfiguration.{key}",
                    f"{path!r}{where} is not on a writable volume, and the Flink containers' root "
                    "filesystem is read-only (pod.readOnlyRootFilesystem).",
                    f"use a directory under {TMP_DIR} (the library's emptyDir) or under one of your "
                    "pod.volumeMounts that is not readOnly, or set pod.readOnlyRootFilesystem: false",
                )
            )
            break
    return problems
