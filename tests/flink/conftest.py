"""Fixtures shared by the real-Flink tests: the JDK, the Java sources compiled once per
session per Flink version, rendered clusters as local processes, local jar servers."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.support.loopback import LoopbackCluster
from tests.support.pods.file_server import FileServer
from tests.support.toolchain import Java


def _failed(request: pytest.FixtureRequest) -> bool:
    return any(
        getattr(getattr(request.node, f"report_{phase}", None), "failed", False)
        for phase in ("setup", "call")
    )


def _cluster_builder(
    request: pytest.FixtureRequest, java: Java, root: Path, **defaults: Any
) -> Iterator[Callable[..., LoopbackCluster]]:
    """Builds ``LoopbackCluster``s under ``root`` with ``defaults``; afterwards stops every
    process, and on failure prints their output and keeps their directories."""
    clusters: list[LoopbackCluster] = []

    def build(objects: Sequence[Mapping[str, Any]], flink_home: Path, **options: Any) -> LoopbackCluster:
        cluster = LoopbackCluster(
            objects, flink_home, java.home, root / f"cluster-{len(clusters)}", **{**defaults, **options}
        )
        clusters.append(cluster)
        return cluster

    yield build
    failed = _failed(request)
    for cluster in clusters:
        codes = cluster.stop()
        if failed:
            print(f"processes stopped (exit codes {codes}); their output:\n{cluster.diagnostics(120)}")
        else:
            cluster.remove()
    if failed:
        print(f"kept {root}")


@pytest.fixture
def loopback_cluster(
    request: pytest.FixtureRequest, tmp_path: Path, java: Java
) -> Iterator[Callable[..., LoopbackCluster]]:
    """``loopback_cluster(objects, flink_home, **options)`` builds a ``LoopbackCluster``; every
    process it started is stopped at the end, also when the test fails (then their output
    is printed and their directories are kept)."""
    yield from _cluster_builder(request, java, tmp_path)


@pytest.fixture
def hardened_cluster(request: pytest.FixtureRequest, java: Java) -> Iterator[Callable[..., LoopbackCluster]]:
    """``hardened_cluster(objects, flink_home, **options)``: a hardened ``LoopbackCluster`` under
    a directory in /tmp that uid 9999 can enter (pytest's tmp_path is private to root). Every
    process is stopped at the end; on failure the output is printed and the directory kept."""
    if os.geteuid() != 0:
        pytest.skip("hardened pods run their processes as uid 9999: that takes root")
    root = Path(tempfile.mkdtemp(prefix="pulumi-flink-hardened-"))
    root.chmod(0o755)
    builder = _cluster_builder(request, java, root, hardened=True)
    build = next(builder)

    def build_reachable(
        objects: Sequence[Mapping[str, Any]], flink_home: Path, **options: Any
    ) -> LoopbackCluster:
        return build(objects, _reachable_by_all(flink_home, root), **options)

    yield build_reachable
    next(builder, None)
    if not _failed(request):
        shutil.rmtree(root, ignore_errors=True)


def _reachable_by_all(flink_home: Path, root: Path) -> Path:
    """``flink_home`` itself when every user can reach it; otherwise (a checkout in a private
    directory, e.g. one made by ``mktemp -d``) a hard-linked copy under ``root`` (a plain copy
    across file systems), which the pods' user can read."""
    home = flink_home.resolve()
    if all(os.stat(d).st_mode & 0o001 for d in [*home.parents, home]):
        return flink_home
    view = root / "flink-dist"
    if not view.exists():
        try:
            shutil.copytree(flink_home, view, symlinks=True, copy_function=os.link)
        except OSError:
            shutil.rmtree(view, ignore_errors=True)
            shutil.copytree(flink_home, view, symlinks=True)
    return view


@pytest.fixture
def file_server(tmp_path: Path) -> Iterator[Callable[[Mapping[str, Path]], FileServer]]:
    """``file_server({url: local file})``: a started ``FileServer``, stopped at the end."""
    servers: list[FileServer] = []

    def start(files: Mapping[str, Path]) -> FileServer:
        server = FileServer(files, tmp_path / f"server-{len(servers)}").start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep each phase's report on the item, so fixtures can tell a failed test in teardown."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report
