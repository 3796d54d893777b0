"""The pods: the user's pod hooks (env, volumes, mounts) next to what the library puts there."""

from __future__ import annotations

import posixpath

from pulumi_flink.model.kubernetes_types import normal_path, path_overlaps
from pulumi_flink.model.layout import ENV_PURPOSES, MOUNT_PURPOSES, PLUGIN_VOLUME_PREFIX, PLUGINS_DIR
from pulumi_flink.render.pods import library_layout
from pulumi_flink.spec import FlinkClusterSpec
from pulumi_flink.spec.errors import Problem

# The official image's entrypoint would write these into the config file, but the
# ConfigMap mount is read-only, so they would be silently ignored.
IGNORED_IMAGE_ENV = {
    "FLINK_PROPERTIES": "flinkConfiguration",
    "JOB_MANAGER_RPC_ADDRESS": "nothing: the library sets the JobManager address",
    "TASK_MANAGER_NUMBER_OF_TASK_SLOTS": "taskManager.slots",
}


def check_pod(spec: FlinkClusterSpec) -> list[Problem]:
    problems = []
    for index, entry in enumerate(spec.pod.env):
        if entry["name"] in IGNORED_IMAGE_ENV:
            problems.append(
                Problem(
                    f"pod.env[{index}].name",
                    f"{entry['name']} would be ignored: the image cannot write it into the read-only "
                    "configuration mount.",
                    f"remove it; use {IGNORED_IMAGE_ENV[entry['name']]}",
                )
            )
    for index, volume in enumerate(spec.pod.volumes):
        # flink-plugin-*: whatever the spec, as the plugins the env enables may change.
        if volume["name"].startswith(PLUGIN_VOLUME_PREFIX):
            problems.append(_library_volume(index, volume["name"]))
    volume_names = {v["name"] for v in spec.pod.volumes}
    for index, mount in enumerate(spec.pod.volume_mounts):
        if mount["name"] not in volume_names:
            problems.append(
                Problem(
                    f"pod.volumeMounts[{index}].name",
                    f"no volume named {mount['name']!r} in pod.volumes.",
                    "add that volume to pod.volumes, or fix the name",
                )
            )
    return problems


def _library_volume(index: int, name: str) -> Problem:
    return Problem(f"pod.volumes[{index}].name", f"{name!r} is the library's own volume.",
                   "pick another name")


def check_library_clashes(spec: FlinkClusterSpec) -> list[Problem]:
    """The user's pod hooks next to what the library puts into the same pods (read from the
    pods the builders make for this spec): no volume, mount or env var of the library's may
    be replaced, hidden or duplicated."""
    library = library_layout(spec)
    problems = [
        Problem(
            f"pod.env[{index}].name",
            f"the library sets {entry['name']} in these pods: it "
            f"{ENV_PURPOSES.get(entry['name'], 'is set by the library')}; a second entry would replace "
            "or duplicate it.",
            "remove it, or give your variable another name",
        )
        for index, entry in enumerate(spec.pod.env)
        if entry["name"] in library.env
    ]
    problems += [
        _library_volume(index, volume["name"])
        for index, volume in enumerate(spec.pod.volumes)
        if volume["name"] in library.volumes and not volume["name"].startswith(PLUGIN_VOLUME_PREFIX)
    ]
    for index, mount in enumerate(spec.pod.volume_mounts):
        path = mount["mountPath"]
        reserved = next((p for p in sorted(library.mount_paths) if path_overlaps(path, p)), None)
        if reserved is not None:
            problems.append(
                Problem(
                    f"pod.volumeMounts[{index}].mountPath",
                    f"{path} {_clash(normal_path(path), reserved)}: "
                    f"{reserved} {_mount_purpose(reserved)}.",
                    "mount elsewhere; add settings through flinkConfiguration",
                )
            )
    return problems


def _clash(path: str, reserved: str) -> str:
    if path == reserved:
        return "is the library's mount"
    return "is under the library's mount" if path.startswith(reserved) else "would hide the library's mount"


def _mount_purpose(path: str) -> str:
    if path in MOUNT_PURPOSES:
        return MOUNT_PURPOSES[path]
    if posixpath.dirname(path) == PLUGINS_DIR:
        return f"is a plugin's directory ({MOUNT_PURPOSES[PLUGINS_DIR]})"
    return "is mounted by the library"
