"""Fixtures for every test; the helpers behind them live in tests/support."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator

import pytest

from pulumi_flink.spec import FlinkClusterSpec
from tests.support.rendering import make_spec
from tests.support.toolchain import Java, JavaBuild, compile_sources, find_java


@pytest.fixture
def spec() -> FlinkClusterSpec:
    return make_spec()


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
