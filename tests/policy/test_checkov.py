"""The Checkov policy gate: every stack's render passes Checkov's Kubernetes checks, but for
the skips in policy/checkov-skips.yaml, each with its written reason and each still needed.

One Checkov run scans the renders of every stack file (one folder per stack) and a canary
objects that must fail, so the gate is known to look at what it is given. Checkov comes from
``bash scripts/setup-test.sh`` (``.cache/checkov-venv``); without it these tests error with
that command, they are not skipped.
"""

from __future__ import annotations

import fnmatch
import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from tests.support.paths import ROOT

CANARY = "_canary"


def _load_runner() -> ModuleType:
    """``scripts/policy_scan.py``, the gate a user runs, imported as a module."""
    path = ROOT / "scripts" / "policy_scan.py"
    spec = importlib.util.spec_from_file_location("policy_scan", path)
    assert spec and spec.loader, path
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


policy_scan = _load_runner()
STACKS = policy_scan.stack_files()
OTHER_STACKS = sorted(name for name in STACKS if name != "prod")

# Fails CKV_K8S_16 (privileged) and CKV_K8S_19 (host network), which every stack passes.
CANARY_OBJECT: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "canary", "namespace": "canary"},
    "spec": {
        "selector": {"matchLabels": {"app": "canary"}},
        "template": {
            "metadata": {"labels": {"app": "canary"}},
            "spec": {
                "hostNetwork": True,
                "containers": [
                    {"name": "canary", "image": "busybox:1.36", "securityContext": {"privileged": True}}
                ],
            },
        },
    },
}


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Every stack rendered and scanned, with the canary, in one Checkov run."""
    scan_dir = tmp_path_factory.mktemp("policy-scan")
    policy_scan.render_stacks(STACKS, scan_dir)
    canary = scan_dir / CANARY / "canary" / "deployment-canary.yaml"
    canary.parent.mkdir(parents=True)
    canary.write_text(yaml.safe_dump(CANARY_OBJECT), encoding="utf-8")
    # Checkov passes over a file it cannot parse without a word; the gate must not.
    (canary.parent / "deployment-broken.yaml").write_text("kind: Deployment\nspec: [: \n", encoding="utf-8")
    return policy_scan.parse_report(policy_scan.run_checkov(scan_dir), scan_dir, policy_scan.load_skips())


@pytest.fixture(scope="module")
def report(scanned: Any) -> Any:
    return scanned.for_stacks(STACKS)


def _explain(report: Any, problems: list[str]) -> str:
    failed = report.failed()
    return "\n".join(
        [f"{len(problems)} problem(s):", *(f"  - {p}" for p in problems)]
        + (["", policy_scan.table(failed)] if failed else [])
    )


# --- the gate ----------------------------------------------------------------------------


def test_prod_passes_the_gate(report: Any) -> None:
    prod = report.for_stacks(["prod"])
    problems = prod.gate_problems(check_skips=False)
    assert not problems, _explain(prod, problems)


@pytest.mark.parametrize("stack", OTHER_STACKS)
def test_every_other_stack_passes_the_gate(report: Any, stack: str) -> None:
    one = report.for_stacks([stack])
    problems = one.gate_problems(check_skips=False)
    assert not problems, _explain(one, problems)


def test_every_skip_is_still_needed_and_named_as_checkov_names_it(report: Any) -> None:
    assert report.skip_problems() == []


# --- the gate sees what it is given, offline ----------------------------------------------


def test_checkov_fails_a_bad_object_and_the_gate_an_unreadable_file(scanned: Any) -> None:
    canary = scanned.for_stacks([CANARY])
    failed = {(f.check_id, f.object) for f in canary.failed()}
    assert ("CKV_K8S_16", "Deployment canary/canary") in failed
    assert ("CKV_K8S_19", "Deployment canary/canary") in failed
    assert canary.unscanned_workloads() == [f"{CANARY}/canary/deployment-broken.yaml"]


def test_every_stack_and_every_workload_is_scanned(report: Any) -> None:
    assert set(report.stacks) == set(STACKS)
    assert report.parsing_errors == ()
    assert report.unscanned_workloads() == []
    for stack in STACKS:
        assert report.with_result(policy_scan.PASSED, stack), stack
    kinds = set(report.files.values())
    assert {"Deployment", "StatefulSet", "Job"} <= kinds


def test_checkov_is_the_pinned_release(report: Any) -> None:
    setup = (ROOT / "scripts" / "setup-test.sh").read_text(encoding="utf-8")
    pin = re.search(r"^CHECKOV_VERSION=(\S+)$", setup, re.MULTILINE)
    assert pin, "scripts/setup-test.sh pins CHECKOV_VERSION"
    assert report.checkov_version == pin.group(1)


def test_checkov_runs_without_network_or_platform_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BC_API_KEY", "not-a-key")
    monkeypatch.setenv("PRISMA_API_URL", "https://prisma.invalid")
    env = policy_scan.checkov_env(Path("/nonexistent-home"))
    assert "BC_API_KEY" not in env and "PRISMA_API_URL" not in env
    assert env["HOME"] == "/nonexistent-home"  # no ~/.bridgecrew/credentials, no ~/.checkov.yaml
    assert env["CKV_SKIP_PACKAGE_UPDATE_CHECK"] == "true"
    arguments = policy_scan.checkov_arguments(Path("scan"), Path("report"))
    assert {"--skip-download", "--skip-results-upload"} <= set(arguments)
    config = yaml.safe_load((ROOT / ".checkov.yaml").read_text(encoding="utf-8"))
    assert config["framework"] == ["kubernetes"] and config["skip-download"] is True

    # The guard Checkov runs under refuses name look-ups and connections, and says so.
    probe = "import urllib.request\nurllib.request.urlopen('https://pypi.org/simple/checkov/', timeout=5)\n"
    done = subprocess.run(
        [str(policy_scan.checkov_python()), "-c", policy_scan.network_guard() + probe],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode != 0
    assert f"{policy_scan.BLOCKED_MARK} resolve 'pypi.org'" in done.stderr


# --- the skip file -----------------------------------------------------------------------


def test_every_skip_has_a_name_and_a_written_reason() -> None:
    skips = policy_scan.load_skips()
    assert skips
    for check_id, skip in skips.items():
        assert policy_scan.CHECK_ID.match(check_id)
        assert skip.name and skip.reason
        assert len(skip.reason.split()) >= 15, f"{check_id}: say why, and what the library does instead"
        for pattern in skip.stacks:
            assert fnmatch.filter(STACKS, pattern), f"{check_id}: {pattern!r} names no stack file"
        for pattern in skip.objects:
            assert re.match(r"^[A-Z*][A-Za-z*]* \S+$", pattern), f"{check_id}: {pattern!r} is no object"


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"CKV_K8S_43": {"name": "Image should use digest", "reason": " "}}, "no reason"),
        ({"CKV_K8S_43": {"name": "Image should use digest"}}, "no reason"),
        ({"CKV_K8S_43": {"reason": "because"}}, "no name"),
        ({"CKV_K8S_43": "because"}, "expected a mapping"),
        ({"K8S_43": {"name": "x", "reason": "because"}}, "not a Checkov Kubernetes check id"),
        ({"CKV_K8S_43": {"name": "x", "reason": "because", "stack": ["dev"]}}, "unknown keys"),
        ({"CKV_K8S_9": {"name": "x", "reason": "because", "objects": "Deployment a/b"}}, "objects must be"),
    ],
)
def test_a_skip_without_a_reason_is_refused(tmp_path: Path, entry: dict[str, Any], message: str) -> None:
    path = tmp_path / "skips.yaml"
    path.write_text(yaml.safe_dump(entry), encoding="utf-8")
    with pytest.raises(policy_scan.PolicyScanError, match=message):
        policy_scan.load_skips(path)


def test_a_skip_covers_only_its_stacks_and_objects() -> None:
    skip = policy_scan.Skip("CKV_K8S_9", "Readiness Probe Should be Configured", "reason",
                            ("dev", "mode-*"), ("Deployment */*-taskmanager",))
    assert skip.covers("dev", "Deployment flink/analytics-taskmanager")
    assert skip.covers("mode-per-job", "Deployment flink/etl-a-taskmanager")
    assert not skip.covers("prod", "Deployment flink/analytics-taskmanager")
    assert not skip.covers("dev", "StatefulSet flink/analytics-zookeeper")
    assert policy_scan.Skip("CKV_K8S_9", "n", "reason").covers("prod", "Pod a/b")


def test_a_skip_covering_no_failure_is_stale() -> None:
    skip = policy_scan.Skip("CKV_K8S_43", "Image should use digest", "reason", ("dev", "prod"),
                            ("Deployment a/*", "Job */*"))
    finding = policy_scan.Finding(
        "dev", "CKV_K8S_43", "Image should use digest", "Deployment a/b", "dev/a/deployment-b.yaml",
        policy_scan.SKIPPED, "reason",
    )
    passing = policy_scan.Finding("dev", "CKV_K8S_16", "Container should not be privileged",
                                  "Deployment a/b", "dev/a/deployment-b.yaml", policy_scan.PASSED)
    needed = policy_scan.Report((finding,), ("dev", "prod"), {"CKV_K8S_43": skip}, "x")
    assert needed.skip_problems() == [
        "policy/checkov-skips.yaml: CKV_K8S_43: stacks entry 'prod' covers no failure (remove it)",
        "policy/checkov-skips.yaml: CKV_K8S_43: objects entry 'Job */*' covers no failure (remove it)",
    ]
    stale = policy_scan.Skip("CKV_K8S_16", "Container should not be privileged", "reason")
    report = policy_scan.Report((passing,), ("dev",), {"CKV_K8S_16": stale}, "x")
    assert report.skip_problems() == [
        "policy/checkov-skips.yaml: CKV_K8S_16 is stale: the check passes on every stack (remove the skip)"
    ]
