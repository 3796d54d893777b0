"""The stack program as `pulumi up` runs it: config from the runtime, not from a file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pulumi
import pytest
from pulumi.runtime import config as runtime_config

from pulumi_flink.errors import FlinkSpecError
from pulumi_flink.program import main
from pulumi_flink.renderer import Render, run_program


@pytest.fixture
def stack_config() -> Iterator[dict[str, Any]]:
    values: dict[str, Any] = {}
    token = runtime_config.CONFIG.set(values)
    yield values
    runtime_config.CONFIG.reset(token)


def test_main_reads_json_config_like_the_language_host(stack_config: dict[str, Any]) -> None:
    stack_config["pulumi-flink:clusters"] = json.dumps([{"name": "orders", "flinkVersion": "2.3"}])
    stack_config["kubernetes:context"] = "ignored-by-us"
    render = run_program(lambda: main())
    names = {(o["kind"], o["metadata"]["name"]) for o in render.kubernetes_objects()}
    assert ("Deployment", "orders-jobmanager") in names


def test_main_refuses_bad_config_before_registering(stack_config: dict[str, Any]) -> None:
    stack_config["pulumi-flink:clusters"] = json.dumps(
        [{"name": "orders", "flinkVersion": "2.3", "taskManager": {"slot": 2}}]
    )
    stack_config["pulumi-flink:cluster"] = "typo"
    render = Render()
    with pytest.raises(FlinkSpecError) as info:
        run_program(lambda: main(), into=render)
    assert set(info.value.paths) == {"pulumi-flink:cluster", "clusters[0].taskManager.slot"}
    assert isinstance(info.value, pulumi.RunError)
    assert render.resources == []
