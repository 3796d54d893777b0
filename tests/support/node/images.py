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
- ``zookeeper:<version>``: Debian's ZooKeeper (see ``zookeeper_image``);
- ``curlimages/curl:<version>``: the host's curl (the image's user, 100, as the image runs);
- ``SHELL_IMAGE``: the host's Debian userland alone (bash, coreutils, curl, python3), for the
  agent's own tests.

Anything else is refused when a pod names it, as a runtime refuses an image it cannot pull.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

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


@dataclass
class ImageCatalog:
    """The images this machine has: Flink by version, plus images the tests add."""

    flink_homes: Mapping[str, Path]
    """Flink ``major.minor`` -> its distribution."""
    java_home: Path
    entrypoint: Path
    """The file holding ``FLINK_ENTRYPOINT``, readable by every pod's user."""
    extra: dict[str, Image] = field(default_factory=dict)

    def flink(self, reference: str) -> Image:
        match = FLINK_REFERENCE.match(reference)
        if match is None or match["version"] not in self.flink_homes:
            raise ImageError(f"no Flink distribution for {reference!r} (have {sorted(self.flink_homes)})")
        return flink_image(reference, self.flink_homes[match["version"]], self.java_home, self.entrypoint)

    def add_job_image(self, reference: str, flink_reference: str, files: Mapping[str, Path]) -> None:
        """A user's image built ``FROM flink:...`` that adds ``files`` (its job jar)."""
        base = self.flink(flink_reference)
        self.extra[reference] = replace(base, reference=reference, files={**base.files, **files})

    def add(self, image: Image) -> None:
        self.extra[image.reference] = image

    def resolve(self, reference: str) -> Image:
        if reference in self.extra:
            return self.extra[reference]
        if CURL_REFERENCE.match(reference):
            return Image(reference=reference, entrypoint=("curl",), env={"PATH": SYSTEM_PATH},
                         working_dir="/", user=CURL_USER)
        return self.flink(reference)
