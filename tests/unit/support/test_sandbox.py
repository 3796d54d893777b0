"""The container launch script's read-only root, without running it: the root and the image's
directories are remounted read-only after the volumes are mounted, but never a path a volume
is mounted at or above (the ``zookeeper`` image's ``/data`` under the server's claim), which
the remount would make read-only instead."""

from __future__ import annotations

import shlex
from pathlib import Path

from tests.support.node.images import Image
from tests.support.node.sandbox import PodFiles, launch_script
from tests.support.node.volumes import Mount


def read_only_remounts(script: str) -> list[str]:
    """The targets the script remounts read-only, in order."""
    lines = script.splitlines()
    return [shlex.split(line)[-1] for line in lines if line.startswith("mount -o remount,bind,ro")]


def test_a_volume_over_an_image_directory_stays_writable(tmp_path: Path) -> None:
    image = Image(reference="zookeeper:3.8.4", directories={
        "/apache-zookeeper-3.8.4-bin": tmp_path / "distribution", "/data": tmp_path / "image-data",
        "/logs": tmp_path / "image-logs"})
    claim, config = tmp_path / "claim", tmp_path / "config"
    claim.mkdir()
    config.mkdir()
    files = PodFiles(tmp_path / "hosts", tmp_path / "resolv.conf", tmp_path / "hostname", "zk-0")
    folder = tmp_path / "container"
    mounts = [Mount("/data", claim, read_only=False), Mount("/conf", config, read_only=True),
              Mount("/logs/server", claim, read_only=False)]
    root = f"{folder}/root"
    script = launch_script(folder, tmp_path / "skeleton", image, mounts, files, read_only_root=True)
    # /sys and the read-only volume as mounted; after every volume, the root and each image
    # directory (and the host's /etc and /usr) but /data, which the claim hides.
    assert read_only_remounts(script) == [
        f"{root}/sys", f"{root}/conf",
        root, f"{root}/apache-zookeeper-3.8.4-bin", f"{root}/etc", f"{root}/logs", f"{root}/usr"]
    writable = launch_script(folder, tmp_path / "skeleton", image, mounts, files, read_only_root=False)
    assert read_only_remounts(writable) == [f"{root}/sys", f"{root}/conf"]
