"""examples/github/flink-review.yml: well-formed, the right stacks, and the real CLI's commands."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from pulumi_flink.offline.cli import _parser
from tests.support.paths import ROOT

WORKFLOW = ROOT / "examples" / "github" / "flink-review.yml"
STACKS = ["dev", "staging", "prod"]
ALLOWED_ACTIONS = {"actions/checkout", "actions/setup-python", "pulumi/actions"}
STEP_KEYS = {
    "name", "id", "if", "uses", "run", "with", "env", "shell", "working-directory",
    "continue-on-error", "timeout-minutes",
}  # fmt: skip
JOB_KEYS = {
    "name", "if", "runs-on", "environment", "permissions", "strategy", "env", "steps", "needs",
    "concurrency", "timeout-minutes", "outputs", "defaults", "continue-on-error",
}  # fmt: skip
# `pulumi-flink <command> ...` in a shell script, up to a redirection, pipe or separator.
COMMAND = re.compile(r'pulumi-flink"?[ \t]+((?:render|diff)\b[^\n;|&>)]*)')


def workflow() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text())
    return document


def jobs() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = workflow()["jobs"]
    return found


def step_named(job: dict[str, Any], prefix: str) -> dict[str, Any]:
    (step,) = [s for s in job["steps"] if str(s.get("name", "")).startswith(prefix)]
    return step


def scripts() -> list[str]:
    return [s["run"].replace("\\\n", " ") for job in jobs().values() for s in job["steps"] if "run" in s]


def test_parses_and_runs_on_every_pull_request() -> None:
    document = workflow()
    triggers = document.get("on", document.get(True))  # YAML 1.1 reads a bare `on` as true
    assert triggers is not None and "pull_request" in triggers
    assert set(jobs()) == {"preview", "offline-diff"}
    assert document["permissions"] == {}, "jobs ask for their own permissions"


@pytest.mark.parametrize("name", ["preview", "offline-diff"])
def test_steps_are_well_formed(name: str) -> None:
    job = jobs()[name]
    assert set(job) <= JOB_KEYS and job["runs-on"] == "ubuntu-latest"
    names = [step.get("name") for step in job["steps"]]
    assert all(isinstance(n, str) and n for n in names) and len(set(names)) == len(names)
    for step in job["steps"]:
        assert isinstance(step, dict) and set(step) <= STEP_KEYS, step
        assert ("uses" in step) != ("run" in step), f"{step['name']}: exactly one of uses and run"
        if "uses" in step:
            action, _, version = step["uses"].partition("@")
            assert action in ALLOWED_ACTIONS, f"{action}: only checkout, setup-python and Pulumi's action"
            assert re.fullmatch(r"v\d+", version), f"{step['uses']}: pin a major version"
        else:
            assert isinstance(step["run"], str) and step["run"].strip()
        for block in ("with", "env"):
            values = step.get(block, {})
            assert isinstance(values, dict)
            assert all(isinstance(v, str | bool | int) for v in values.values()), (step["name"], block)


def test_the_stacks_are_dev_staging_prod() -> None:
    preview, offline = jobs()["preview"], jobs()["offline-diff"]
    assert preview["strategy"]["matrix"]["stack"] == STACKS
    assert preview["environment"] == "${{ matrix.stack }}"
    assert offline["env"]["STACKS"].split() == STACKS, "offline-diff covers the matrix's stacks"
    assert (ROOT / "stacks" / "Pulumi.dev.yaml").is_file()


def test_preview_runs_pulumi_preview_with_pulumis_action() -> None:
    job = jobs()["preview"]
    step = step_named(job, "pulumi preview")
    assert step["uses"].startswith("pulumi/actions@")
    options = step["with"]
    assert options["command"] == "preview" and options["comment-on-pr"] is True
    assert options["stack-name"] == "${{ matrix.stack }}" and options["work-dir"] == "."
    assert step["env"]["PULUMI_ACCESS_TOKEN"] == "${{ secrets.PULUMI_ACCESS_TOKEN }}"
    assert job["permissions"]["pull-requests"] == "write"
    credentials = step_named(job, "Cluster credentials")
    assert credentials["env"]["KUBECONFIG_DATA"] == "${{ secrets.KUBECONFIG }}"
    assert "github.repository" in job["if"], "forks get no secrets: the preview skips them"


def test_offline_diff_needs_no_cluster_and_no_secrets() -> None:
    job = jobs()["offline-diff"]
    assert "secrets." not in yaml.safe_dump(job) and "environment" not in job
    assert job["permissions"] == {"contents": "read", "pull-requests": "write"}
    checkout = step_named(job, "Check out the pull request")
    assert checkout["with"]["fetch-depth"] == 0, "full history, so the base commit is there"
    assert (
        'worktree add --detach "$GITHUB_WORKSPACE/base" "$BASE_SHA"'
        in step_named(job, "Check out the base")["run"]
    )
    assert job["env"]["BASE_SHA"] == "${{ github.event.pull_request.base.sha }}"
    install = step_named(job, "Install the project")["run"]
    assert (
        "for side in base head" in install and 'pip" install --quiet -e "$GITHUB_WORKSPACE/$side"' in install
    )
    comment = step_named(job, "Post or update the review comment")
    assert comment["env"]["GH_TOKEN"] == "${{ github.token }}"
    assert "env.MARKER" in comment["run"] and "--method PATCH" in comment["run"]


def test_the_commands_are_the_real_clis() -> None:
    commands = [shlex.split(match) for script in scripts() for match in COMMAND.findall(script)]
    assert sorted({c[0] for c in commands}) == ["diff", "render"]
    for words in commands:
        args = ["PLACEHOLDER" if "$" in word else word for word in words]
        try:
            parsed = _parser().parse_args(args)
        except SystemExit:  # pragma: no cover - the failure message names the command
            pytest.fail(f"pulumi-flink does not accept: {shlex.join(words)}")
        if parsed.command == "render":
            assert parsed.stack and parsed.out
        else:
            assert parsed.title != "pulumi-flink diff" and not parsed.exit_code


def test_the_render_and_diff_step_runs(tmp_path: Path) -> None:
    """The job's render-and-diff script itself, in a simulated runner: base and head checkouts
    (head scales dev's TaskManagers and adds a stack that does not render), pulumi-flink from
    this checkout as each side's virtualenv."""
    if shutil.which("bash") is None:  # pragma: no cover
        pytest.skip("needs bash")
    workspace, runner_temp = tmp_path / "workspace", tmp_path / "runner"
    for side in ("base", "head"):
        (workspace / side / "stacks").mkdir(parents=True)
        shutil.copy(ROOT / "Pulumi.yaml", workspace / side / "Pulumi.yaml")
        shutil.copy(ROOT / "stacks" / "Pulumi.dev.yaml", workspace / side / "stacks" / "Pulumi.dev.yaml")
        venv_bin = runner_temp / f"venv-{side}" / "bin"
        venv_bin.mkdir(parents=True)
        cli = venv_bin / "pulumi-flink"
        cli.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m pulumi_flink.offline.cli "$@"\n')
        cli.chmod(0o755)
    head_dev = workspace / "head" / "stacks" / "Pulumi.dev.yaml"
    head_dev.write_text(head_dev.read_text().replace("replicas: 2", "replicas: 3"))
    (workspace / "head" / "stacks" / "Pulumi.broken.yaml").write_text("config: [unclosed")
    job = jobs()["offline-diff"]
    env = {
        **os.environ,
        "STACKS": "dev broken",
        "MARKER": job["env"]["MARKER"],
        "GITHUB_WORKSPACE": str(workspace),
        "RUNNER_TEMP": str(runner_temp),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "GITHUB_ENV": str(tmp_path / "github_env"),
    }
    script = step_named(job, "Render every stack")["run"]
    result = subprocess.run(
        ["bash", "-e", "-c", script], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    review = (runner_temp / "review.md").read_text()
    assert review.startswith(job["env"]["MARKER"] + "\n## Flink changes\n")
    assert "### Stack dev\n" in review and "| `spec.replicas` | `2` | `3` |" in review
    assert "### Stack broken: the head does not render" in review and "not valid YAML" in review
    assert (tmp_path / "summary.md").read_text() == review
    assert (tmp_path / "github_env").read_text() == "failed=1\n"
