"""One pod as local processes: what differs from a pod on Kubernetes (``Rewrite``, each with its
reason), the pod's files and env (``Pod``), the official image's entrypoint, and hardened
processes (``setpriv``)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Literal

from tests.support.pods.plans import InitPlan, PodPlan, SecurityPlan, expand_references

IMAGE_FLINK_HOME = "/opt/flink"
"""``FLINK_HOME`` and ``WORKDIR`` of the official image."""
CONTAINER_TMP = "/tmp"
"""A container's /tmp: the pod's ``tmp_dir`` (the JVMs' java.io.tmpdir, FLINK_PID_DIR)."""
OFFICIAL_IMAGE = "flink:"
# The official image's entrypoint: container command -> script and its first argument.
ENTRYPOINT_COMMANDS = {
    "jobmanager": ("jobmanager.sh", "start-foreground"),
    "standalone-job": ("standalone-job.sh", "start-foreground"),
    "taskmanager": ("taskmanager.sh", "start-foreground"),
}
# Commands the entrypoint passes through that the harness runs: Flink's own, from $FLINK_HOME/bin.
PASS_THROUGH_COMMANDS = ("flink",)
# Init container commands the harness runs with the host's binary.
INIT_COMMANDS = ("curl",)
# Variables the entrypoint acts on in the steps the harness does not run (see above).
UNEMULATED_ENV = (
    "ENABLE_BUILT_IN_PLUGINS", "FLINK_PROPERTIES", "TASK_MANAGER_NUMBER_OF_TASK_SLOTS",
    "JOB_MANAGER_RPC_ADDRESS",
)
# The keys with which each process binds its listening sockets.
BIND_KEYS = {
    "jobmanager": ("jobmanager.bind-host", "rest.bind-address"),
    "taskmanager": ("taskmanager.bind-host",),
}
WILDCARDS = ("0.0.0.0", "::", "[::]")
HOST_PATH = os.environ.get("PATH", "/usr/bin:/bin")


# --- everything that differs from a pod, with its reason ---------------------------------------

@dataclass(frozen=True)
class Rewrite:
    kind: Literal["config", "environment", "jvm", "process", "argument", "filesystem", "file"]
    """config: a ``-D key=value`` dynamic property added to the container args right after the
    entrypoint's script (the start scripts pass them to Flink); file: a line of a mounted
    ConfigMap file changed or added in the pod's read-only copy (``key`` is ``<file>: <key>``);
    environment: a process environment variable (the process gets the container's env entries
    and these, nothing inherited); jvm: a JVM option, in ``JVM_ARGS`` (Flink: flink-console.sh
    and bin/flink put it on the java command line) or ``SERVER_JVMFLAGS`` (ZooKeeper's
    zkServer.sh); process: how the process is started (program, working directory,
    FLINK_HOME); argument: a container argument (or command element) changed or added;
    filesystem: a path of the container and the directory or file that stands for it."""
    key: str
    value: str
    rendered: str | None
    """What the render (or the image) has instead; None if nothing."""
    reason: str


@dataclass
class InitRun:
    """One init container of one pod, as run here."""

    plan: InitPlan
    output: Path
    command: list[str] = field(default_factory=list)
    environment: dict[str, str] = field(default_factory=dict)
    rewrites: list[Rewrite] = field(default_factory=list)
    returncode: int | None = None
    launcher: list[str] = field(default_factory=list)
    """Hardened pods: what starts ``command`` as the container's user (``setpriv ... --``)."""


@dataclass
class Pod:
    name: str
    plan: PodPlan
    ip: str
    root: Path
    rewrites: list[Rewrite] = field(default_factory=list)
    command: list[str] = field(default_factory=list)
    environment: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    init: list[InitRun] = field(default_factory=list)
    volume_dirs: dict[str, Path] = field(default_factory=dict)
    """Container mount path -> the directory standing for a persistent volume (a shared
    claim's, or the pod's own claim from a StatefulSet's template)."""
    stopped: bool = False
    """Stopped or killed on purpose (``LoopbackCluster.kill``/``stop_pods``): not a failure."""
    starts: int = 0
    """How often the container was started (a restart keeps the pod: name, IP, volumes)."""
    launcher: list[str] = field(default_factory=list)
    """Hardened pods: what starts ``command`` as the container's user (``setpriv ... --``)."""
    writable: list[Path] = field(default_factory=list)
    """Hardened pods: the directories its processes may write to, owned by its user."""

    @property
    def home(self) -> Path:
        """The pod's ``$FLINK_HOME``: what ``/opt/flink`` is in the pod."""
        return self.root / "flink"

    @property
    def conf_dir(self) -> Path:
        """The pod's copy of its ConfigMap volume (read-only, as the kubelet mounts it)."""
        return self.root / "conf" if self.plan.runtime == "zookeeper" else self.home / "conf"

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def variables(self) -> dict[str, str]:
        """The container's env as Kubernetes resolves it: fieldRefs from the downward API
        (the pod's IP is its loopback IP here), ``$(VAR)`` in values expanded from the
        entries before it."""
        fields = {
            "status.podIP": self.ip, "metadata.name": self.name, "metadata.namespace": self.plan.namespace,
        }
        resolved: dict[str, str] = {}
        for name in self.plan.env_order:
            if name in self.plan.field_env:
                resolved[name] = fields[self.plan.field_env[name]]
            else:
                resolved[name] = expand_references(self.plan.env[name], resolved)
        return resolved

    def expanded(self, values: Sequence[str]) -> tuple[str, ...]:
        """Container command or args with ``$(VAR)`` expanded from the env, as the kubelet does."""
        variables = self.variables()
        return tuple(expand_references(value, variables) for value in values)

    @property
    def usrlib(self) -> Path:
        return self.home / "usrlib"

    @property
    def tmp_dir(self) -> Path:
        return self.root / "tmp"

    @property
    def log_dir(self) -> Path:
        return self.home / "log"

    @property
    def hosts_file(self) -> Path:
        return self.root / "hosts"

    @property
    def output(self) -> Path:
        return self.root / "stdout.log"

    @property
    def working_dir(self) -> Path:
        return Path(next(r.value for r in self.rewrites if r.kind == "process" and r.key == "cwd"))

    def config_rewrites(self) -> dict[str, str]:
        return {r.key: r.value for r in self.rewrites if r.kind == "config"}

    def local_path(self, path: str) -> Path:
        """The file that stands for the container's ``path``: on a persistent volume, in the
        container's /tmp (the pod's tmp dir), or (Flink) under /opt/flink."""
        for mount_path, local in sorted(self.volume_dirs.items(), key=lambda item: -len(item[0])):
            if PurePosixPath(path).is_relative_to(mount_path):
                relative = PurePosixPath(path).relative_to(mount_path)
                assert ".." not in relative.parts, path
                return local / relative
        if PurePosixPath(path).is_relative_to(CONTAINER_TMP):
            relative = PurePosixPath(path).relative_to(CONTAINER_TMP)
            assert ".." not in relative.parts, path
            return self.tmp_dir / relative
        if not PurePosixPath(path).is_relative_to(IMAGE_FLINK_HOME):
            raise NotImplementedError(f"{self.name}: {path}: only paths in {IMAGE_FLINK_HOME} are emulated")
        relative = PurePosixPath(path).relative_to(IMAGE_FLINK_HOME)
        assert ".." not in relative.parts, path
        return self.home / relative


def pod_rewrites(pod: Pod, rendered: Mapping[str, str], java_home: Path) -> list[Rewrite]:
    """The differences between this process and the pod on Kubernetes, but for its arguments.

    ``rendered`` is the flat configuration the pod's conf dir holds (as Flink read it).
    """
    rewrites = [
        Rewrite("config", key, pod.ip, rendered[key],
                "0.0.0.0 in a pod means the pod's own network namespace: its IP. Here every pod "
                "shares the host's, where 0.0.0.0 would listen on all host interfaces and the "
                "JobManager and TaskManagers could not each own their ports; the pod's loopback "
                "IP is what 0.0.0.0 means inside the pod.")
        for key in BIND_KEYS.get(pod.plan.component, ())
        if rendered.get(key) in WILDCARDS
    ]
    rewrites += [
        Rewrite("jvm", "-Djdk.net.hosts.file", str(pod.hosts_file), None,
                "Cluster DNS and the pod's /etc/hosts: Service names resolve to the pod they "
                "select (no kube-proxy, so each Service port must equal its container port, "
                "checked), the pod's hostname to its IP, and localhost to the pod's own sockets "
                "(its IP here, since it shares the host's loopback). The JVM's hosts file does "
                "that per process without touching /etc/hosts; the rendered addresses stay."),
        Rewrite("jvm", "-Djava.io.tmpdir", str(pod.tmp_dir), "/tmp",
                "A container's /tmp (an emptyDir where the pod mounts one) is its own; io.tmp.dirs, "
                "web.tmpdir (uploaded jars) and the TaskManager's working dir and local state "
                "default to java.io.tmpdir."),
        Rewrite("process", "FLINK_HOME", str(pod.home), IMAGE_FLINK_HOME,
                "The image's Flink installation, into which the ConfigMap (conf) and the volumes "
                "(usrlib) are mounted, is per container; here each pod gets its own directory "
                "laid out the same way: bin copied (the scripts derive FLINK_HOME from their own "
                "path with symlinks resolved, so links would lead back to the shared "
                "distribution), lib/opt/plugins linked to the shared distribution, conf the "
                "ConfigMap's files read-only, log empty. Flink looks for usrlib next to "
                "FLINK_LIB_DIR (ClusterEntrypointUtils.tryFindUserLibDirectory) and names the "
                "usrlib jars relative to the working dir, so the layout must be the image's."),
        Rewrite("process", "cwd", str(pod.home), IMAGE_FLINK_HOME,
                "The image's WORKDIR is $FLINK_HOME: the pod's FLINK_HOME here. Application mode "
                "puts usrlib jars on pipeline.classpaths as paths relative to it."),
        Rewrite("environment", "FLINK_HOME", str(pod.home), IMAGE_FLINK_HOME,
                "The image's ENV FLINK_HOME; the pod's FLINK_HOME here."),
        Rewrite("environment", "FLINK_PID_DIR", str(pod.tmp_dir), "/tmp",
                "flink-console.sh records its pid in /tmp, per container in the image."),
        Rewrite("environment", "HOSTNAME", pod.name, None,
                "Kubernetes sets it to the pod name; the scripts name log files after it."),
        Rewrite("environment", "JAVA_HOME", str(java_home), "/opt/java/openjdk",
                "The image's JDK; here the host's JDK 17."),
        Rewrite("environment", "PATH", f"{pod.home / 'bin'}{os.pathsep}{HOST_PATH}", "$FLINK_HOME/bin:$PATH",
                "The image's PATH starts with $FLINK_HOME/bin (where a pass-through 'flink' is "
                "found); the rest is the host's (bash, coreutils, java)."),
        Rewrite("environment", "HOME", str(pod.root), IMAGE_FLINK_HOME,
                "The flink user's home in the image; here the pod's directory."),
        Rewrite("environment", "LANG", "C.UTF-8", "en_US.UTF-8",
                "The image's locale may not exist on the host; C.UTF-8 always does."),
    ]
    for path, volume in sorted(pod.plan.mounts.items()):
        rewrites.append(Rewrite(
            "filesystem", path, str(pod.local_path(path)), f"emptyDir volume {volume}",
            "An emptyDir is an empty directory made for the pod, shared by its containers that "
            "mount it; here a directory at the mount path in the pod's FLINK_HOME."))
    rewrites += claim_rewrites(pod)
    rewrites += claim_config_rewrites(pod, rendered)
    return rewrites


CLAIM_REASON = (
    "A PersistentVolumeClaim is one volume, mounted by every pod that names the claim "
    "(ReadWriteMany, e.g. NFS); here one directory of the cluster per claim, the same for "
    "every such pod (and kept when a pod restarts or is replaced). The processes share the "
    "host's filesystem, so that directory has its own path instead of the mount path.")
CLAIM_TEMPLATE_REASON = (
    "A StatefulSet's volumeClaimTemplate gives each pod its own PersistentVolumeClaim "
    "(<template>-<pod>), which outlives the pod and comes back with a pod of the same name; "
    "here one directory per pod and template, kept across restarts. The processes share the "
    "host's filesystem, so that directory has its own path instead of the mount path.")


def claim_rewrites(pod: Pod) -> list[Rewrite]:
    """The persistent volumes of a pod: each mount path and the directory standing for it."""
    rewrites = [
        Rewrite("filesystem", path, str(pod.volume_dirs[path]), f"persistentVolumeClaim {claim}",
                CLAIM_REASON)
        for path, claim in sorted(pod.plan.claims.items())
    ]
    rewrites += [
        Rewrite("filesystem", path, str(pod.volume_dirs[path]),
                f"volumeClaimTemplate {template} (claim {template}-{pod.name})", CLAIM_TEMPLATE_REASON)
        for path, template in sorted(pod.plan.claim_templates.items())
    ]
    return rewrites


def _volume_path_pattern(mount_path: str) -> re.Pattern[str]:
    """A path on the volume mounted at ``mount_path``, bare or as a ``file:`` URI."""
    return re.compile(rf"^(?P<scheme>file:(?://)?)?{re.escape(mount_path)}(?P<rest>/.*)?$")


def claim_config_rewrites(pod: Pod, rendered: Mapping[str, str]) -> list[Rewrite]:
    """Flink configuration values naming a path on a persistent volume (e.g. the HA storage
    ``file:///flink-ha/ha``): the same path under the directory standing for the volume."""
    rewrites = []
    mount_paths = sorted(pod.volume_dirs, key=len, reverse=True)
    for key, value in sorted(rendered.items()):
        for mount_path in mount_paths:
            match = _volume_path_pattern(mount_path).match(value)
            if match is None:
                if mount_path in value:
                    raise NotImplementedError(f"{pod.name}: {key}: {value!r} names {mount_path} in a way "
                                              "the harness does not rewrite")
                continue
            local = f"{pod.volume_dirs[mount_path]}{match['rest'] or ''}"
            scheme = match["scheme"]
            rewrites.append(Rewrite(
                "config", key, f"file://{local}" if scheme else local, value,
                f"A path on the volume mounted at {mount_path}: the same path under the directory "
                "that stands for the volume (see its filesystem rewrite)."))
            break
    return rewrites


# --- processes ---------------------------------------------------------------------------------

def entrypoint(home: Path, args: tuple[str, ...], dynamic: Sequence[str] = ()) -> list[str]:
    """``docker-entrypoint.sh ARGS`` of the official image, for the commands the library uses.

    ``dynamic`` (``-D key=value`` pairs) goes right after the script's mode, ahead of the
    arguments, where every start script's parser reads it (standalone-job's parser stops at
    the job's own arguments); for ``jobmanager HOST [WEBUIPORT]`` after those positional
    arguments, since jobmanager.sh takes ``$2`` as the host only when it is not ``-D``.
    """
    if args and args[0] in ENTRYPOINT_COMMANDS:
        script, mode = ENTRYPOINT_COMMANDS[args[0]]
        rest = list(args[1:])
        positional: list[str] = []
        if args[0] == "jobmanager":
            while rest and len(positional) < 2 and not rest[0].startswith("-"):
                positional.append(rest.pop(0))
        return [str(home / "bin" / script), mode, *positional, *dynamic, *rest]
    if args and args[0] in PASS_THROUGH_COMMANDS:
        assert not dynamic, f"{args[0]} binds nothing: no dynamic properties"
        return [str(home / "bin" / args[0]), *args[1:]]
    known = sorted([*ENTRYPOINT_COMMANDS, *PASS_THROUGH_COMMANDS])
    raise NotImplementedError(f"the harness emulates only {known}, not {args}")


HARDENED_REASON = (
    "The container runtime starts the container's process as the securityContext's user and "
    "groups (fsGroup as a supplementary group), with no_new_privs for allowPrivilegeEscalation: "
    "false and no capabilities for drop: [ALL]; here setpriv does that (the harness runs as "
    "root) and execs the command. The process can write what it could in the pod: its volumes' "
    "directories, owned by its user; everything else in its view (the pod's FLINK_HOME, the "
    "conf copy, the shared distribution) belongs to root and is not writable for it, as the "
    "read-only root filesystem and ConfigMap mount are not in the pod. The seccomp profile is "
    "not applied.")


def setpriv_launcher(security: SecurityPlan) -> list[str]:
    """``setpriv`` (util-linux) options that start a process as ``security`` says, then ``--``."""
    uid = security.run_as_user
    assert uid is not None, "a hardened process needs runAsUser"
    group = security.run_as_group or 0
    launcher = [shutil.which("setpriv") or "setpriv", f"--reuid={uid}", f"--regid={group}"]
    launcher.append(f"--groups={security.fs_group}" if security.fs_group is not None else "--clear-groups")
    launcher.append("--inh-caps=-all")
    if security.dropped_capabilities:
        if set(security.dropped_capabilities) != {"ALL"}:
            raise NotImplementedError(f"capabilities.drop {security.dropped_capabilities}: only [ALL]")
        launcher.append("--bounding-set=-all")
    if security.no_new_privileges:
        launcher.append("--no-new-privs")
    return [*launcher, "--"]


def security_summary(security: SecurityPlan) -> str:
    parts = [f"runAsUser {security.run_as_user}", f"runAsGroup {security.run_as_group}"]
    if security.fs_group is not None:
        parts.append(f"fsGroup {security.fs_group}")
    if security.dropped_capabilities:
        parts.append(f"capabilities.drop {list(security.dropped_capabilities)}")
    if security.no_new_privileges:
        parts.append("allowPrivilegeEscalation false")
    if security.read_only_root_filesystem:
        parts.append("readOnlyRootFilesystem")
    return "securityContext: " + ", ".join(parts)


def _may(path: Path, uid: int, groups: set[int], bits: int) -> bool:
    """Whether ``uid`` (with ``groups``) has the permission ``bits`` (rwx as 4/2/1) on ``path``
    by its mode, as the kernel checks a non-root user (no ACLs on these directories)."""
    stat = path.lstat()
    if stat.st_uid == uid:
        return (stat.st_mode >> 6) & bits == bits
    if stat.st_gid in groups:
        return (stat.st_mode >> 3) & bits == bits
    return stat.st_mode & bits == bits


def may_enter(path: Path, uid: int, groups: set[int]) -> bool:
    return _may(path, uid, groups, 1)


def writable_directories(root: Path, uid: int, groups: set[int]) -> list[Path]:
    """Every directory under ``root`` (symlinks not followed) in which ``uid`` may create files."""
    found = []
    for directory, subdirs, _ in os.walk(root):
        path = Path(directory)
        if _may(path, uid, groups, 3):  # write and enter
            found.append(path)
        subdirs[:] = [d for d in subdirs if not (path / d).is_symlink()]
    return found


def process_status(pid: int) -> dict[str, str]:
    """``/proc/<pid>/status`` as fields: Uid, Gid, Groups, CapEff, CapBnd, NoNewPrivs, ..."""
    text = Path(f"/proc/{pid}/status").read_text()
    return {key: value.strip() for key, _, value in (line.partition(":") for line in text.splitlines())}

