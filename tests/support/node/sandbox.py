"""One container as a process tree in namespaces: what a container runtime does, by hand.

The pod's network namespace is made by ``NodeNetwork``; every container of the pod joins it
(``ip netns exec``), so they share its address and ``localhost``, and a socket bound to the
wildcard address listens on the pod's IP only. Each container then gets a mount and UTS
namespace of its own (``unshare``) in which a launch script of this module builds its root
filesystem and ``chroot``s into it:

- ``/``: an overlay over an empty skeleton (``/usr``, ``/etc``, ``/proc``, ...), its upper
  layer in the container's folder: writes land there, as in a container's writable layer;
- the image's directories (``Image.directories``), each an overlay whose lower layer is the
  host directory (the Flink distribution at ``/opt/flink``, the JDK at ``/opt/java/openjdk``),
  and its files (the entrypoint, a job jar) bound read-only;
- the host's ``/usr`` and ``/etc`` the same way (the image's userland: bash, coreutils,
  curl), so a mount point made under them, or a write, lands in the container's layer and
  never in the host's; a fresh ``/proc``, the host's ``/sys`` read-only, a minimal ``/dev``
  and ``/dev/shm``;
- the pod's ``/etc/hosts``, ``/etc/resolv.conf`` and ``/etc/hostname`` over the host's;
- the volumes at their mount paths, read-only where the mount is;
- with ``readOnlyRootFilesystem``, the root and the image's directories remounted read-only
  last, so only the volumes stay writable (an image directory a volume hides, such as the
  ``zookeeper`` image's ``/data`` under a claim, is left alone: it is not visible).

The process starts as the securityContext says (``launcher``): ``setpriv`` sets the user,
group and supplementary groups (``fsGroup``, ``supplementalGroups``), clears the inheritable
capabilities and, with ``drop: [ALL]``, the bounding set; ``allowPrivilegeEscalation: false``
sets no_new_privs. ``env -i`` gives it exactly the container's environment, in its working
directory. Every step execs the next, so the launched PID is the container's main process.

What a runtime does that this does not: no PID namespace (the container sees the host's
processes in /proc, and its PID is the host's), no cgroup (resources are not enforced), no
seccomp or AppArmor profile, no user namespace. The image's userland is the host's Debian,
not the image's own.
"""

from __future__ import annotations

import shlex
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from tests.support.node.environment import ConfigError
from tests.support.node.images import Image
from tests.support.node.volumes import Mount

SKELETON_DIRECTORIES = ("usr", "etc", "proc", "sys", "dev", "run", "tmp", "var/tmp", "opt", "root", "home")
SKELETON_LINKS = {"bin": "usr/bin", "lib": "usr/lib", "lib64": "usr/lib64", "sbin": "usr/sbin"}
DEVICES = ("null", "zero", "full", "random", "urandom", "tty")
SYSTEM_LAYERS = {"/usr": Path("/usr"), "/etc": Path("/etc")}
"""The host's userland, which stands for the image's own."""
SUPPORTED_SECURITY = {
    "runAsUser", "runAsGroup", "runAsNonRoot", "fsGroup", "fsGroupChangePolicy", "supplementalGroups",
    "allowPrivilegeEscalation", "capabilities", "readOnlyRootFilesystem", "seccompProfile", "privileged",
}


def skeleton(directory: Path) -> Path:
    """The empty root every container's overlay starts from (made once per agent)."""
    for name in SKELETON_DIRECTORIES:
        (directory / name).mkdir(parents=True, exist_ok=True)
    (directory / "tmp").chmod(0o1777)
    (directory / "var" / "tmp").chmod(0o1777)
    for name, target in SKELETON_LINKS.items():
        link = directory / name
        if not link.is_symlink():
            link.symlink_to(target)
    return directory


@dataclass(frozen=True)
class Identity:
    """Who the container's process is, from its merged securityContext and the image."""

    user: int
    group: int
    groups: tuple[int, ...]
    drop_all: bool
    no_new_privileges: bool
    read_only_root: bool


def identity(pod: Mapping[str, Any], container: Mapping[str, Any], image: Image) -> Identity:
    """The kubelet's merge: the container's securityContext over the pod's; refuses what the
    kubelet refuses (runAsNonRoot with user 0) and what is not emulated."""
    pod_context = pod["spec"].get("securityContext", {})
    context = {**pod_context, **container.get("securityContext", {})}
    unknown = set(context) - SUPPORTED_SECURITY
    if unknown:
        raise ConfigError(f"securityContext {sorted(unknown)} is not emulated")
    if context.get("privileged"):
        raise ConfigError("privileged containers are not emulated")
    user = context.get("runAsUser", image.user)
    if context.get("runAsNonRoot") and user == 0:
        raise ConfigError("container has runAsNonRoot and image will run as root")
    drop = tuple(context.get("capabilities", {}).get("drop", ()))
    if drop and set(drop) != {"ALL"}:
        raise ConfigError(f"capabilities.drop {list(drop)}: only [ALL] is emulated")
    if context.get("capabilities", {}).get("add"):
        raise ConfigError("capabilities.add is not emulated")
    groups = [*pod_context.get("supplementalGroups", ())]
    if "fsGroup" in pod_context:
        groups.insert(0, pod_context["fsGroup"])
    return Identity(
        user=user,
        group=context.get("runAsGroup", user if "runAsUser" in context else image.user),
        groups=tuple(groups),
        drop_all=bool(drop),
        no_new_privileges=context.get("allowPrivilegeEscalation") is False,
        read_only_root=bool(context.get("readOnlyRootFilesystem")),
    )


def launcher(who: Identity) -> list[str]:
    """``setpriv`` options starting a process as ``who``, then ``--``."""
    options = ["/usr/bin/setpriv", f"--reuid={who.user}", f"--regid={who.group}"]
    options.append(f"--groups={','.join(map(str, who.groups))}" if who.groups else "--clear-groups")
    options.append("--inh-caps=-all")
    if who.drop_all:
        options.append("--bounding-set=-all")
    if who.no_new_privileges:
        options.append("--no-new-privs")
    return [*options, "--"]


def _inside(root: str, path: str) -> str:
    container_path = PurePosixPath(path)
    if not container_path.is_absolute() or ".." in container_path.parts:
        raise ConfigError(f"mount path {path!r} must be absolute without '..'")
    return f"{root}{container_path}"


@dataclass(frozen=True)
class PodFiles:
    hosts: Path
    resolv_conf: Path
    hostname_file: Path
    hostname: str


def _covered(path: str, mounts: Sequence[Mount]) -> bool:
    """Whether a volume is mounted at ``path`` or above it: the image's directory there is
    hidden, and a remount of that path would reach the volume instead."""
    return any(PurePosixPath(path).is_relative_to(m.container_path) for m in mounts)


def launch_script(
    folder: Path,
    skeleton_dir: Path,
    image: Image,
    mounts: Sequence[Mount],
    pod_files: PodFiles,
    read_only_root: bool,
) -> str:
    """The bash script that builds the container's root in ``folder`` and execs ``"$@"``
    chrooted into it (see the module docstring)."""
    root = str(folder / "root")
    q = shlex.quote
    lines = [
        "set -euo pipefail",
        f"hostname {q(pod_files.hostname)}",
        # Mounts made here stay in this namespace: nothing propagates back to the host.
        "mount --make-rprivate /",
        f"mount -t overlay container-root -o lowerdir={q(str(skeleton_dir))},"
        f"upperdir={q(str(folder / 'upper'))},workdir={q(str(folder / 'work'))} {q(root)}",
    ]
    read_only_last = [root]
    for index, (path, source) in enumerate(layers(image)):
        target = _inside(root, path)
        layer = folder / "layers" / str(index)
        lines += [
            f"mkdir -p {q(target)}",
            f"mount -t overlay image-layer -o lowerdir={q(str(source))},"
            f"upperdir={q(str(layer / 'upper'))},workdir={q(str(layer / 'work'))} {q(target)}",
        ]
        if not _covered(path, mounts):
            read_only_last.append(target)
    for path, source in sorted(image.files.items()):
        target = _inside(root, path)
        lines += [f"mkdir -p {q(str(PurePosixPath(target).parent))}", f"touch {q(target)}",
                  f"mount --bind {q(str(source))} {q(target)}", f"mount -o remount,bind,ro {q(target)}"]
    lines += [
        f"mount -t proc proc {q(root + '/proc')}",
        f"mount --rbind /sys {q(root + '/sys')}",
        f"mount -o remount,bind,ro {q(root + '/sys')}",
        f"mount -t tmpfs -o mode=0755,size=1m container-dev {q(root + '/dev')}",
    ]
    for device in DEVICES:
        target = f"{root}/dev/{device}"
        lines += [f"touch {q(target)}", f"mount --bind /dev/{device} {q(target)}"]
    lines += [
        f"mkdir {q(root + '/dev/shm')} {q(root + '/dev/pts')}",
        f"mount -t tmpfs -o mode=1777,size=64m container-shm {q(root + '/dev/shm')}",
        f"ln -s /proc/self/fd {q(root + '/dev/fd')}",
        f"ln -s /proc/self/fd/0 {q(root + '/dev/stdin')}",
        f"ln -s /proc/self/fd/1 {q(root + '/dev/stdout')}",
        f"ln -s /proc/self/fd/2 {q(root + '/dev/stderr')}",
    ]
    for name, source in (("hosts", pod_files.hosts), ("resolv.conf", pod_files.resolv_conf),
                         ("hostname", pod_files.hostname_file)):
        lines.append(f"mount --bind {q(str(source))} {q(f'{root}/etc/{name}')}")
    for mount in mounts:
        target = _inside(root, mount.container_path)
        if mount.host_path.is_dir():
            lines.append(f"mkdir -p {q(target)}")
        else:
            lines += [f"mkdir -p {q(str(PurePosixPath(target).parent))}", f"touch {q(target)}"]
        lines.append(f"mount --bind {q(str(mount.host_path))} {q(target)}")
        if mount.read_only:
            lines.append(f"mount -o remount,bind,ro {q(target)}")
    if read_only_root:
        for target in read_only_last:
            # Per-mount flags only: the mounts beneath (volumes, /usr, /proc) keep theirs.
            lines.append(f"mount -o remount,bind,ro {q(target)}")
    lines.append(f'exec chroot {q(root)} "$@"')
    return "\n".join(lines) + "\n"


def layers(image: Image) -> list[tuple[str, Path]]:
    """Every overlay of the container's root but ``/`` itself, parents before children."""
    return sorted({**SYSTEM_LAYERS, **image.directories}.items())


def prepare_folder(folder: Path, image: Image) -> None:
    """The container's own layers on the host, empty: a restart is a new container, whose
    writable layer starts empty (volumes are what a restart keeps)."""
    if folder.exists():
        shutil.rmtree(folder)
    for sub in ("root", "upper", "work"):
        (folder / sub).mkdir(parents=True)
    for index in range(len(layers(image))):
        for sub in ("upper", "work"):
            (folder / "layers" / str(index) / sub).mkdir(parents=True)


def container_argv(
    netns: str, script: Path, who: Identity, environment: Mapping[str, str], working_dir: str,
    command: Sequence[str],
) -> list[str]:
    """The host command that starts the container: its namespaces, the launch script, then
    ``setpriv`` and ``env -i`` inside the root."""
    if not command:
        raise ConfigError("no command: neither the container nor the image gives one")
    assignments = [f"{key}={value}" for key, value in environment.items()]
    if any("=" in key or not key for key in environment):
        raise ConfigError(f"invalid environment variable names: {sorted(environment)}")
    return [
        "ip", "netns", "exec", netns,
        "unshare", "--mount", "--uts", "--propagation", "private",
        "bash", str(script),
        *launcher(who), "/usr/bin/env", "-i", f"--chdir={working_dir}", *assignments, *command,
    ]


def exec_argv(pid: int, who: Identity, environment: Mapping[str, str], command: Sequence[str]) -> list[str]:
    """A command run inside a running container (an exec probe): its namespaces, root and
    working directory, its user and environment."""
    assignments = [f"{key}={value}" for key, value in environment.items()]
    return [
        "nsenter", f"--target={pid}", "--mount", "--net", "--uts", "--root", "--wd",
        *launcher(who), "/usr/bin/env", "-i", *assignments, *command,
    ]
