"""Validation runs once per spec at the public boundary (``check_once``): the stack program,
``FlinkCluster`` and a component constructed on its own each refuse bad input before they
register anything, and a spec already found valid is not checked again by the children it
passes through. The program hands ``FlinkCluster`` the spec it parsed, not args made from it."""

from __future__ import annotations

import sys
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

import pulumi
import pytest

import pulumi_flink.validation as validation
from pulumi_flink.offline.renderer import Render, render_stack, run_program
from pulumi_flink.package import package_args
from pulumi_flink.program import parse_stack_config
from pulumi_flink.resources.cluster import FlinkCluster
from pulumi_flink.resources.services import FlinkServices
from pulumi_flink.spec import FlinkClusterSpec
from pulumi_flink.spec.errors import FlinkSpecError, Problem
from tests.support.rendering import make_spec

JAR = "/opt/flink/usrlib/job.jar"
ZOOKEEPER_HA = {"type": "zookeeper", "storageDir": "s3://bucket/flink"}
FLINK = "1.20.1"  # an object store needs the full release (its plugin jar is named by it)


@pytest.fixture
def namespace() -> str:
    """A namespace no other test uses: ``check_once`` remembers every valid spec of the run."""
    return f"once-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def checked(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """The name of each spec ``check_cluster`` really runs on, counted."""
    seen: Counter[str] = Counter()
    real = validation.check_cluster

    def counting(spec: FlinkClusterSpec) -> list[Problem]:
        seen[spec.name] += 1
        return real(spec)

    monkeypatch.setattr(validation, "check_cluster", counting)
    return seen


def cluster_args(spec: FlinkClusterSpec) -> Any:
    return package_args.spec_args(spec)


@pytest.mark.parametrize(
    ("overrides", "checked_specs"),
    [
        ({}, ["analytics"]),
        ({"mode": "application", "job": {"jar": JAR}}, ["analytics"]),
        ({"highAvailability": ZOOKEEPER_HA}, ["analytics"]),
        (
            {
                "mode": "per-job",
                "jobs": [{"name": "orders", "jar": JAR}, {"name": "billing", "jar": JAR}],
                "highAvailability": ZOOKEEPER_HA,
            },
            # The per-job spec, and each job's own cluster (FlinkJobCluster's spec) once.
            ["analytics", "analytics-billing", "analytics-orders"],
        ),
    ],
    ids=["session", "application", "session-ha", "per-job-ha"],
)
@pytest.mark.parametrize("given", ["args", "spec"])
def test_a_flink_cluster_checks_each_spec_once(
    checked: Counter[str], namespace: str, overrides: dict[str, Any], checked_specs: list[str], given: str
) -> None:
    spec = make_spec(namespace=namespace, flinkVersion=FLINK, **overrides)
    # Args are parsed into a new spec object; an equal one is the same spec all the same.
    args = cluster_args(spec) if given == "args" else spec
    render = run_program(lambda: FlinkCluster("analytics", args) and None)
    assert sorted(checked.elements()) == checked_specs
    assert len(render.kubernetes_objects()) > 5  # the components ran; they did not check again


def test_ha_credentials_make_the_one_spec_checked(checked: Counter[str], namespace: str) -> None:
    """With haCredentials the cluster is built from the spec that names their Secret: that one
    is checked (once, the plan of its claims included); the spec without it is never built."""
    spec = make_spec(namespace=namespace, flinkVersion=FLINK, highAvailability=ZOOKEEPER_HA)

    def program() -> None:
        FlinkCluster("analytics", spec, ha_credentials={"AWS_ACCESS_KEY_ID": pulumi.Output.secret("id")})

    run_program(program)
    assert checked == {"analytics": 1}


def stack(namespace: str) -> dict[str, Any]:
    per_job = {"mode": "per-job", "jobs": [{"name": "etl", "jar": JAR}]}
    return {
        "pulumi-flink:clusters": [
            {"name": "orders", "flinkVersion": FLINK, "namespace": namespace},
            {"name": "billing", "flinkVersion": "2.0", "namespace": namespace, **per_job},
        ]
    }


def test_the_stack_program_checks_each_cluster_once(checked: Counter[str], namespace: str) -> None:
    config = parse_stack_config(stack(namespace))
    # The collision check plans each cluster, which builds the per-job cluster's job cluster
    # (a spec of its own); building the stack then checks nothing again.
    assert checked == {"orders": 1, "billing": 1, "billing-etl": 1}
    render = render_stack(config)
    assert checked == {"orders": 1, "billing": 1, "billing-etl": 1}
    assert {o["metadata"]["name"] for o in render.kubernetes_objects()} >= {"orders-rest", "billing-etl-rest"}


@pytest.fixture
def no_args_round_trip(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Fail any call of ``spec_args`` or ``spec_from_args``, wherever it was imported to."""
    calls: list[str] = []
    for name in ("spec_args", "spec_from_args"):
        original = getattr(package_args, name)

        def refuse(*args: Any, _name: str = name, **kwargs: Any) -> Any:
            calls.append(_name)
            raise AssertionError(f"{_name} called")

        for module in [m for key, m in sys.modules.items() if key.startswith("pulumi_flink")]:
            if getattr(module, name, None) is original:
                monkeypatch.setattr(module, name, refuse)
    return calls


def test_the_stack_program_passes_its_spec_through(namespace: str, no_args_round_trip: list[str]) -> None:
    config = stack(namespace)
    config["pulumi-flink:clusters"][0]["highAvailability"] = ZOOKEEPER_HA
    config["pulumi-flink:haCredentials"] = {"orders": {"AWS_ACCESS_KEY_ID": "id"}}
    parsed = parse_stack_config(config, secret_keys={"pulumi-flink:haCredentials"})
    render = render_stack(parsed)
    assert no_args_round_trip == []
    assert any(o["kind"] == "Secret" for o in render.kubernetes_objects())


def test_a_component_alone_is_checked_once_per_spec(checked: Counter[str], namespace: str) -> None:
    spec = make_spec(namespace=namespace)

    def program() -> None:
        FlinkServices("one", spec)
        FlinkServices("two", make_spec(namespace=namespace))  # equal, though another object

    render = run_program(program)
    assert checked == {"analytics": 1}
    assert len(render.kubernetes_objects()) == 4


def refused_spec(namespace: str) -> FlinkClusterSpec:
    return make_spec(namespace=namespace, rest={"nodePort": 30081})  # needs exposure NodePort


@pytest.mark.parametrize(
    "build",
    [
        lambda spec: FlinkServices("alone", spec),
        lambda spec: FlinkCluster("cluster", spec),
        lambda spec: FlinkCluster("cluster", cluster_args(spec)),
    ],
    ids=["component", "cluster-from-spec", "cluster-from-args"],
)
def test_a_bad_spec_is_refused_before_anything_registers_every_time(
    checked: Counter[str], namespace: str, build: Callable[[FlinkClusterSpec], object]
) -> None:
    spec = refused_spec(namespace)
    for attempt in (1, 2):  # a refused spec is not remembered: refused again
        render = Render()
        with pytest.raises(FlinkSpecError) as info:
            run_program(lambda: build(spec) and None, into=render)
        assert info.value.paths == ["rest.nodePort"]
        assert render.resources == []
        assert checked == {"analytics": attempt}


def test_a_changed_spec_is_checked_again(checked: Counter[str], namespace: str) -> None:
    spec = make_spec(namespace=namespace)
    assert validation.check_once(spec) == []
    assert validation.check_once(make_spec(namespace=namespace)) == []
    # The same values, but a field set that was left unset: rules read which fields are set.
    assert validation.check_once(make_spec(namespace=namespace, parallelism=1)) == []
    assert [p.path for p in validation.check_once(refused_spec(namespace))] == ["rest.nodePort"]
    assert checked == {"analytics": 3}


def test_ha_credentials_go_in_args_or_beside_a_spec(namespace: str) -> None:
    spec = make_spec(namespace=namespace, flinkVersion=FLINK, highAvailability=ZOOKEEPER_HA)
    credentials = {"AWS_ACCESS_KEY_ID": "id"}
    with pytest.raises(FlinkSpecError, match="beside FlinkClusterArgs") as info:
        run_program(lambda: FlinkCluster("a", cluster_args(spec), ha_credentials=credentials) and None)
    assert info.value.paths == ["haCredentials"]

    def whole_map_secret() -> None:
        whole: Any = pulumi.Output.secret(credentials)
        FlinkCluster("a", spec, ha_credentials=whole)

    with pytest.raises(FlinkSpecError, match="keys are known") as info:
        run_program(whole_map_secret)
    assert info.value.paths == ["haCredentials"]

