"""Fixtures shared by the real-Flink tests: the JDK, and the Java sources compiled
once per session per Flink version."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Generator, Iterator

import pytest

from .toolchain import Java, JavaBuild, compile_sources, find_java


@pytest.fixture(scope="session")
def java() -> Java:
    return find_java()


@pytest.fixture(scope="session")
def java_build(java: Java) -> Iterator[Callable[[str], JavaBuild]]:
    """``java_build(version)``: tests/java compiled against that version, once per session,
    into a directory of this session under .cache/flink-tests (removed at the end)."""
    builds: dict[str, JavaBuild] = {}

    def get(version: str) -> JavaBuild:
        if version not in builds:
            builds[version] = compile_sources(java, version)
        return builds[version]

    yield get
    for build in builds.values():
        shutil.rmtree(build.root, ignore_errors=True)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep each phase's report on the item, so fixtures can tell a failed test in teardown."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report
