"""One real control plane for the whole session (tests/support/control_plane.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.control_plane import ControlPlane, running


@pytest.fixture(scope="session")
def control_plane(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ControlPlane]:
    with running(tmp_path_factory.mktemp("control-plane")) as plane:
        yield plane
