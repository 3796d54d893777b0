"""What an image reference stands for on this machine, which has no registry and no images.

An ``Image`` is what a container runtime takes from an image's config and layers: the
entrypoint, the default command, env, working directory and user, and the files. Here the
files are host directories mounted at the image's paths (each read-only, under a writable
overlay of the container's own unless the pod asks for a read-only root). The mapping is
explicit and small (``ImageCatalog``):

- ``flink:<version>[-java<N>]``: the Flink distribution of that version at ``/opt/flink``,
  the host's JDK 17 at ``/opt/java/openjdk`` (the official image's ``JAVA_HOME``), and an
  entrypoint of this project's (``FLINK_ENTRYPOINT``) that starts what the official one starts
  for the commands the library uses;
- a user's job image: a Flink image plus files the test adds (its job jar);
- ``zookeeper:<version>``: Debian's ZooKeeper server (``ZooKeeperInstall``) behind the
  official image's paths and env (see ``zookeeper_image``);
- ``curlimages/curl:<version>``: the host's curl (the image's user, 100, as the image runs);
- ``SHELL_IMAGE``: the host's Debian userland alone (bash, coreutils, curl, python3), for the
  agent's own tests.

Anything else is refused when a pod names it, as a runtime refuses an image it cannot pull.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from tests.support.pods.zookeeper import ZOOKEEPER_DEFAULT_HEAP_MB, ZooKeeperInstall

FLINK_HOME = "/opt/flink"
JAVA_HOME = "/opt/java/openjdk"
ENTRYPOINT_PATH = "/docker-entrypoint.sh"
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
FLINK_USER = 9999

FLINK_ENTRYPOINT = """#!/bin/bash
# The official flink image's entrypoint, as far as the library's pods use it: the three
# start commands run Flink's start scripts in the foreground, anything else runs as given.
# The image's other steps (writing into conf/, which is a read-only ConfigMap mount here as
# on Kubernetes, and the variables below) are refused rather than silently skipped.
for variable in FLINK_PROPERTIES ENABLE_BUILT_IN_PLUGINS TASK_MANAGER_NUMBER_OF_TASK_SLOTS; do
    if [ -n "${!variable:-}" ]; then
        echo "test image: $variable is not emulated" >&2
        exit 64
    fi
done
case "${1:-}" in
    jobmanager) shift; exec "$FLINK_HOME/bin/jobmanager.sh" start-foreground "$@" ;;
    standalone-job) shift; exec "$FLINK_HOME/bin/standalone-job.sh" start-foreground "$@" ;;
    taskmanager) shift; exec "$FLINK_HOME/bin/taskmanager.sh" start-foreground "$@" ;;
    *) exec "$@" ;;
esac
"""


class ImageError(Exception):
    """A reference this machine has no image for (the agent reports it as ErrImagePull)."""


@dataclass(frozen=True)
class Image:
    reference: str
    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    working_dir: str = "/"
    user: int = 0
    directories: Mapping[str, Path] = field(default_factory=dict)
    """Container path -> host directory holding the image's files there."""
    files: Mapping[str, Path] = field(default_factory=dict)
    """Container path -> host file (an entrypoint script, a job jar baked in)."""

    def command(self, command: tuple[str, ...], args: tuple[str, ...]) -> tuple[str, ...]:
        """What runs, as a runtime combines the container's command and args with the image's
        entrypoint and cmd: a command replaces the entrypoint (and drops the cmd); args replace
        the cmd."""
        if command:
            return (*command, *args)
        return (*self.entrypoint, *(args or self.cmd))


FLINK_REFERENCE = re.compile(
    r"^(?:docker\.io/)?(?:library/)?flink:(?P<version>\d+\.\d+)(?:\.\d+)?(?:-java\d+)?$")
SHELL_IMAGE = "pulumi-flink.test/shell:1"
CURL_REFERENCE = re.compile(r"^(?:docker\.io/)?curlimages/curl:[0-9.]+$")
CURL_USER = 100
ZOOKEEPER_REFERENCE = re.compile(
    r"^(?:docker\.io/)?(?:library/)?zookeeper:(?P<version>(?P<minor>\d+\.\d+)\.\d+)$")
ZOOKEEPER_CONF_DIR = "/conf"
ZOOKEEPER_VOLUMES = {"ZOO_DATA_DIR": "/data", "ZOO_DATA_LOG_DIR": "/datalog", "ZOO_LOG_DIR": "/logs"}
"""The official image's ``VOLUME``s, owned by its ``zookeeper`` user, and the env naming them."""
ZOOKEEPER_USER = 1000
"""The image's ``zookeeper`` user and group, which its entrypoint steps down to."""
ZOOKEEPER_ENV_SCRIPT = """\
# zkEnv.sh of the test's zookeeper image, which zkServer.sh (Debian's, linked beside it)
# sources: what the distribution's own zkEnv.sh gives zkServer.sh, with Debian's jars.
ZOOCFGDIR="${{ZOOCFGDIR:-{conf}}}"
ZOOCFG="$ZOOCFGDIR/${{ZOOCFG:-zoo.cfg}}"
ZOO_LOG_DIR="${{ZOO_LOG_DIR:-$ZOOBINDIR/../logs}}"
JAVA="$JAVA_HOME/bin/java"
CLASSPATH="$ZOOCFGDIR:{classpath}"
export SERVER_JVMFLAGS="-Xmx${{ZK_SERVER_HEAP:-{heap}}}m $SERVER_JVMFLAGS"
export CLIENT_JVMFLAGS="-Xmx${{ZK_CLIENT_HEAP:-256}}m $CLIENT_JVMFLAGS"
"""


def shell_image() -> Image:
    """An image of nothing but the host's userland, running as root unless the pod says."""
    return Image(reference=SHELL_IMAGE, env={"PATH": SYSTEM_PATH}, working_dir="/", user=0)


def flink_image(reference: str, home: Path, java_home: Path, entrypoint: Path) -> Image:
    return Image(
        reference=reference,
        entrypoint=(ENTRYPOINT_PATH,),
        cmd=("help",),
        env={
            "FLINK_HOME": FLINK_HOME,
            "JAVA_HOME": JAVA_HOME,
            "PATH": f"{FLINK_HOME}/bin:{JAVA_HOME}/bin:{SYSTEM_PATH}",
            # The image sets en_US.UTF-8, which the host may not have; C.UTF-8 it always has.
            "LANG": "C.UTF-8",
        },
        working_dir=FLINK_HOME,
        user=FLINK_USER,
        directories={FLINK_HOME: home, JAVA_HOME: java_home},
        files={ENTRYPOINT_PATH: entrypoint},
    )


def zookeeper_distribution(version: str) -> str:
    """The official image's distribution folder (its ``WORKDIR``, whose ``bin`` is on its PATH)."""
    return f"/apache-zookeeper-{version}-bin"


@dataclass(frozen=True)
class ZooKeeperLayer:
    """Debian's ZooKeeper and the image layer made for it: ``bin/zkServer.sh`` (a link to
    Debian's), ``bin/zkEnv.sh`` (``ZOOKEEPER_ENV_SCRIPT``), and the image's empty volumes."""

    install: ZooKeeperInstall
    directory: Path

    @property
    def distribution(self) -> Path:
        return self.directory / "distribution"

    def volume(self, path: str) -> Path:
        return self.directory / path.strip("/")


def zookeeper_layer(directory: Path, install: ZooKeeperInstall) -> ZooKeeperLayer:
    """Write the layer into ``directory`` (once per agent). zkServer.sh finds zkEnv.sh beside
    the path it was started by, so Debian's script, linked here, sources this layer's."""
    layer = ZooKeeperLayer(install, directory)
    bin_dir = layer.distribution / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "zkServer.sh").symlink_to(install.server_script)
    (bin_dir / "zkEnv.sh").write_text(ZOOKEEPER_ENV_SCRIPT.format(
        conf=ZOOKEEPER_CONF_DIR, classpath=install.classpath, heap=ZOOKEEPER_DEFAULT_HEAP_MB))
    for path in ZOOKEEPER_VOLUMES.values():
        layer.volume(path).mkdir()
        os.chown(layer.volume(path), ZOOKEEPER_USER, ZOOKEEPER_USER)
    return layer


def zookeeper_image(reference: str, version: str, layer: ZooKeeperLayer, java_home: Path) -> Image:
    """The official ``zookeeper`` image as far as a rendered pod uses it: its distribution
    folder with ``zkServer.sh`` on the PATH, ``ZOOCFGDIR=/conf``, its JRE at ``JAVA_HOME``,
    its volumes, its default command.

    What differs: the server is Debian's ZooKeeper of the same minor release, on the host's
    JDK 17, logging through slf4j-simple (INFO to the console) where the image uses logback
    (a ``logback.xml`` in ``/conf`` is not read); ``zkEnv.sh`` is this layer's
    (``ZOOKEEPER_ENV_SCRIPT``: the same variables, ``-Xmx${ZK_SERVER_HEAP:-1000}m`` among them).
    The image's entrypoint (it writes ``/conf/zoo.cfg`` from ``ZOO_*`` variables when there
    is none, and steps down from root to ``zookeeper`` with gosu) is not emulated: the image
    runs its command as root, as the image would without the entrypoint (it has no ``USER``);
    the library's pods replace the entrypoint with their command and run as 1000 by their
    securityContext. The volumes ``/data``, ``/datalog``, ``/logs`` are empty folders of the
    layer, read-only under a read-only root, where a runtime mounts writable anonymous volumes
    (nothing writes them when the pod mounts its own at /data and logs to the console)."""
    distribution = zookeeper_distribution(version)
    return Image(
        reference=reference,
        cmd=("zkServer.sh", "start-foreground"),
        env={
            "JAVA_HOME": JAVA_HOME,
            "PATH": f"{JAVA_HOME}/bin:{SYSTEM_PATH}:{distribution}/bin",
            "ZOOCFGDIR": ZOOKEEPER_CONF_DIR,
            "ZOO_CONF_DIR": ZOOKEEPER_CONF_DIR,
            **ZOOKEEPER_VOLUMES,
            "LANG": "C.UTF-8",
        },
        working_dir=distribution,
        user=0,
        directories={
            JAVA_HOME: java_home,
            distribution: layer.distribution,
            **{path: layer.volume(path) for path in ZOOKEEPER_VOLUMES.values()},
        },
    )


@dataclass
class ImageCatalog:
    """The images this machine has: Flink by version, plus images the tests add."""

    flink_homes: Mapping[str, Path]
    """Flink ``major.minor`` -> its distribution."""
    java_home: Path
    entrypoint: Path
    """The file holding ``FLINK_ENTRYPOINT``, readable by every pod's user."""
    zookeeper: ZooKeeperLayer | None = None
    """Debian's ZooKeeper and its layer, if this machine has it (``zookeeper_layer``)."""
    missing_zookeeper: str = ""
    """Why there is no ZooKeeper layer, for the pod that names a ``zookeeper:`` image."""
    extra: dict[str, Image] = field(default_factory=dict)

    def flink(self, reference: str) -> Image:
        match = FLINK_REFERENCE.match(reference)
        if match is None or match["version"] not in self.flink_homes:
            raise ImageError(f"no Flink distribution for {reference!r} (have {sorted(self.flink_homes)})")
        return flink_image(reference, self.flink_homes[match["version"]], self.java_home, self.entrypoint)

    def zookeeper_image(self, reference: str) -> Image:
        match = ZOOKEEPER_REFERENCE.match(reference)
        assert match is not None
        if self.zookeeper is None:
            raise ImageError(f"no ZooKeeper for {reference!r}: {self.missing_zookeeper}")
        have = self.zookeeper.install.version
        if have.rsplit(".", 1)[0] != match["minor"]:
            raise ImageError(f"{reference!r}: this machine has ZooKeeper {have}, of another minor "
                             "release (which may read the configuration differently)")
        return zookeeper_image(reference, match["version"], self.zookeeper, self.java_home)

    def add_job_image(self, reference: str, flink_reference: str, files: Mapping[str, Path]) -> None:
        """A user's image built ``FROM flink:...`` that adds ``files`` (its job jar)."""
        base = self.flink(flink_reference)
        self.extra[reference] = replace(base, reference=reference, files={**base.files, **files})

    def add(self, image: Image) -> None:
        self.extra[image.reference] = image

    def resolve(self, reference: str) -> Image:
        if reference in self.extra:
            return self.extra[reference]
        if ZOOKEEPER_REFERENCE.match(reference):
            return self.zookeeper_image(reference)
        if CURL_REFERENCE.match(reference):
            return Image(reference=reference, entrypoint=("curl",), env={"PATH": SYSTEM_PATH},
                         working_dir="/", user=CURL_USER)
        return self.flink(reference)
