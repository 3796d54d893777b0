#!/usr/bin/env python3
"""Assemble Apache Flink distributions from PyPI, for the tests that run real Flink.

    python scripts/flink_dist.py [--from DIR] [VERSION ...]     (default: 1.20.3 2.3.0)

For each version this builds ``.cache/flink/<version>/`` with ``bin/ lib/ opt/
plugins/ conf/ log/``, the layout of the binary release (what the official
image holds under ``/opt/flink``), out of the two PyPI packages that carry it:

* ``apache-flink==V`` (a wheel): ``pyflink/bin`` (the launch scripts) and ``pyflink/conf``;
* ``apache-flink-libraries==V``: the jars. From 2.x a wheel with ``pyflink/lib``,
  ``opt``, ``plugins`` and ``bin/bash-java-utils.jar``; for 1.20 only an sdist whose
  jars lie under ``apache-flink-libraries-V/deps/{lib,opt,plugins,bin}``.

Archives are fetched with ``pip download --no-deps`` into ``.cache/flink/downloads/``
and unpacked with zipfile/tarfile: nothing is installed or built. The launch
scripts are shell scripts, so the ``apache-flink`` wheel is fetched for fixed
tags (CPython 3.11, manylinux2014 x86_64) whatever the host runs.

``--from DIR`` (or ``FLINK_DIST_FROM=DIR``; several separated by ``:``) takes the
archives from local directories (searched recursively) instead of PyPI; meant for
development with copies already on disk. A stamp file marks a complete assembly,
so re-runs do nothing and print nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import stat
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_VERSIONS = ("1.20.3", "2.3.0")
CACHE = ROOT / ".cache" / "flink"
STAMP = ".flink-dist-complete"
# Bump when the layout this script produces changes, so old assemblies are redone.
LAYOUT = 1
# Tags of the apache-flink wheel to fetch: its scripts are the same on every platform.
WHEEL_TAGS = (
    "--only-binary=:all:", "--platform", "manylinux2014_x86_64",
    "--python-version", "3.11", "--implementation", "cp", "--abi", "cp311",
)
LAYOUT_DIRS = ("bin", "lib", "opt", "plugins", "conf")


class DistError(RuntimeError):
    pass


def dist_dir(version: str, cache: Path = CACHE) -> Path:
    return cache / version


def is_complete(version: str, cache: Path = CACHE) -> bool:
    stamp = dist_dir(version, cache) / STAMP
    try:
        return bool(json.loads(stamp.read_text()).get("layout") == LAYOUT)
    except (OSError, ValueError):
        return False


# --- finding or fetching the archives -------------------------------------------------

def _wheel_prefix(project: str, version: str) -> str:
    return f"{project.replace('-', '_')}-{version}-"


def _matches(name: str, project: str, version: str) -> bool:
    if name.endswith(".whl"):
        return name.startswith(_wheel_prefix(project, version))
    return name in (f"{project}-{version}.tar.gz", f"{project.replace('-', '_')}-{version}.tar.gz")


def _find(dirs: Sequence[Path], project: str, version: str, recursive: bool) -> Path | None:
    for directory in dirs:
        if not directory.is_dir():
            continue
        files = directory.rglob("*") if recursive else directory.iterdir()
        found = sorted(p for p in files if p.is_file() and _matches(p.name, project, version))
        # Prefer a wheel: no directory prefix to strip, and it is what newer releases ship.
        found.sort(key=lambda p: not p.name.endswith(".whl"))
        if found:
            return found[0]
    return None


def _pip_download(project: str, version: str, downloads: Path, wheel_tags: bool) -> None:
    cmd = [
        sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
        "--disable-pip-version-check", "--no-input", "--dest", str(downloads),
        *(WHEEL_TAGS if wheel_tags else ()), f"{project}=={version}",
    ]
    print(f"flink_dist: downloading {project}=={version} from PyPI ...", file=sys.stderr)
    result = subprocess.run(cmd, check=False)
    if result.returncode != 0:
        raise DistError(f"pip download of {project}=={version} failed (exit {result.returncode})")


def fetch(project: str, version: str, downloads: Path, sources: Sequence[Path]) -> Path:
    """The archive of ``project==version`` in ``downloads``, copied or downloaded if missing."""
    downloads.mkdir(parents=True, exist_ok=True)
    archive = _find([downloads], project, version, recursive=False)
    if archive:
        return archive
    if sources:
        local = _find(sources, project, version, recursive=True)
        if not local:
            raise DistError(
                f"no {project} {version} archive under {', '.join(map(str, sources))}"
            )
        target = downloads / local.name
        shutil.copyfile(local, target.with_suffix(target.suffix + ".part"))
        target.with_suffix(target.suffix + ".part").replace(target)
        return target
    _pip_download(project, version, downloads, wheel_tags=project == "apache-flink")
    archive = _find([downloads], project, version, recursive=False)
    if not archive:
        raise DistError(f"pip reported success but no {project} {version} archive is in {downloads}")
    return archive


# --- unpacking ------------------------------------------------------------------------

def _members(archive: Path) -> Iterator[tuple[PurePosixPath, bool, bytes | None]]:
    """(path, is_dir, content) of every regular file and directory of a wheel or sdist."""
    if archive.name.endswith(".whl"):
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                path = PurePosixPath(info.filename)
                yield path, info.is_dir(), None if info.is_dir() else zf.read(info)
    else:
        with tarfile.open(archive) as tf:
            for member in tf:
                path = PurePosixPath(member.name)
                if member.isdir():
                    yield path, True, None
                elif member.isfile():
                    handle = tf.extractfile(member)
                    assert handle is not None
                    yield path, False, handle.read()


def _layout_path(path: PurePosixPath, prefixes: Sequence[PurePosixPath]) -> PurePosixPath | None:
    """Where an archive member goes in the distribution, or None if it is not part of it."""
    for prefix in prefixes:
        if path.parts[: len(prefix.parts)] == prefix.parts and len(path.parts) > len(prefix.parts):
            rel = PurePosixPath(*path.parts[len(prefix.parts):])
            if rel.parts[0] in (*LAYOUT_DIRS, "log") and ".." not in rel.parts:
                return rel
    return None


def unpack(archive: Path, prefixes: Sequence[PurePosixPath], dest: Path) -> int:
    count = 0
    for path, is_dir, content in _members(archive):
        rel = _layout_path(path, prefixes)
        if rel is None:
            continue
        target = dest.joinpath(*rel.parts)
        if is_dir:
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        assert content is not None
        target.write_bytes(content)
        count += 1
    return count


def _make_executable(dest: Path) -> None:
    executables = [*dest.glob("bin/*.sh"), dest / "bin" / "flink", *dest.glob("plugins/*/*.sh")]
    for path in executables:
        if path.is_file():
            path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def _check_layout(dest: Path, version: str) -> None:
    needed = [
        dest / "bin" / "jobmanager.sh",
        dest / "bin" / "taskmanager.sh",
        dest / "bin" / "flink",
        dest / "bin" / "bash-java-utils.jar",
        dest / "lib" / f"flink-dist-{version}.jar",
        dest / "conf",
        dest / "opt",
        dest / "plugins",
    ]
    missing = [str(p.relative_to(dest)) for p in needed if not p.exists()]
    if missing:
        raise DistError(f"Flink {version}: the assembled distribution lacks {', '.join(missing)}")


def assemble(version: str, sources: Sequence[Path] = (), cache: Path = CACHE) -> Path:
    """Build ``cache/<version>`` unless a complete one is there; return its path."""
    dest = dist_dir(version, cache)
    if is_complete(version, cache):
        return dest
    downloads = cache / "downloads"
    scripts = fetch("apache-flink", version, downloads, sources)
    libraries = fetch("apache-flink-libraries", version, downloads, sources)
    if not scripts.name.endswith(".whl"):
        raise DistError(f"{scripts.name}: expected the apache-flink wheel, which holds bin/ and conf/")

    cache.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=cache))
    try:
        unpack(scripts, [PurePosixPath("pyflink")], staging)
        library_prefixes = [
            PurePosixPath("pyflink"),
            PurePosixPath(f"apache-flink-libraries-{version}", "deps"),
            PurePosixPath(f"apache_flink_libraries-{version}", "deps"),
        ]
        if unpack(libraries, library_prefixes, staging) == 0:
            raise DistError(f"{libraries.name} holds no Flink jars where expected")
        (staging / "log").mkdir(exist_ok=True)
        _make_executable(staging)
        _check_layout(staging, version)
        (staging / STAMP).write_text(json.dumps(
            {"layout": LAYOUT, "version": version, "from": [scripts.name, libraries.name]},
            indent=2,
        ) + "\n")
        staging.chmod(0o755)
        if dest.exists():
            shutil.rmtree(dest)
        staging.replace(dest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return dest


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("versions", nargs="*", default=list(DEFAULT_VERSIONS), metavar="VERSION")
    parser.add_argument(
        "--from", dest="sources", action="append", type=Path, default=[],
        help="take the archives from this directory (searched recursively) instead of PyPI",
    )
    parser.add_argument("--cache", type=Path, default=CACHE, help=f"default: {CACHE}")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    sources = list(args.sources)
    if not sources and os.environ.get("FLINK_DIST_FROM"):
        sources = [Path(p) for p in os.environ["FLINK_DIST_FROM"].split(os.pathsep) if p]
    for version in args.versions:
        done = is_complete(version, args.cache)
        try:
            path = assemble(version, sources, args.cache)
        except DistError as exc:
            print(f"flink_dist: {exc}", file=sys.stderr)
            return 1
        if not done:
            print(f"flink_dist: Flink {version} assembled at {path}", file=sys.stderr)
        elif args.verbose:
            print(f"flink_dist: Flink {version} already at {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
