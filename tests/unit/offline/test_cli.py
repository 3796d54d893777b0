"""The offline renderer's command line: files, summary, errors, determinism."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from pulumi_flink.offline import cli, renderer
from pulumi_flink.offline.cli import load_stack_file, main
from pulumi_flink.offline.manifests import RENDER_MARKER, load_manifests
from pulumi_flink.offline.renderer import render_stack
from pulumi_flink.program import parse_stack_config
from tests.support.fuzz import YAML_PIECES, fuzz_settings
from tests.support.paths import IMPORT_PATH, ROOT


def write_stack(path: Path, clusters: object, extra: dict[str, object] | None = None) -> Path:
    config: dict[str, object] = {"pulumi-flink:clusters": clusters}
    config.update(extra or {})
    path.write_text(yaml.safe_dump({"config": config}))
    return path


def test_render_dev_stack_writes_one_file_per_object(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert main(["render", "--stack", "dev", "--stacks-dir", str(ROOT / "stacks"), "--out", str(out)]) == 0
    files = sorted(p for p in out.rglob("*") if p.is_file() and p.name != RENDER_MARKER)
    assert files and all(p.suffix == ".yaml" for p in files)
    marker = json.loads((out / RENDER_MARKER).read_text())
    assert marker["files"] == {
        p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in files
    }
    for path in files:
        docs = list(yaml.safe_load_all(path.read_text()))
        assert len(docs) == 1 and {"apiVersion", "kind", "metadata"} <= set(docs[0])
    kinds = sorted(o["kind"] for o in load_manifests(out))
    assert kinds == [
        "ConfigMap", "Deployment", "Deployment", "NetworkPolicy", "NetworkPolicy", "PodDisruptionBudget",
        "Service", "Service", "ServiceAccount",
    ]
    summary = capsys.readouterr().out
    assert "analytics (namespace flink-dev): standalone session, Flink 1.20" in summary
    assert "TaskManagers: 2 x (1 CPU, 1728Mi), 2 slot(s) each = 4 slot(s)" in summary
    assert "Totals: 4 slot(s), 2500m CPU, 5056Mi memory" in summary
    assert "Warnings: none" in summary


def test_render_is_byte_identical_run_after_run(tmp_path: Path) -> None:
    outputs = []
    for run in range(2):
        out = tmp_path / f"run{run}"
        main(["render", "--stack", "dev", "--stacks-dir", str(ROOT / "stacks"), "--out", str(out)])
        outputs.append({p.relative_to(out): p.read_bytes() for p in out.rglob("*.yaml")})
    assert outputs[0] == outputs[1]


def test_render_in_a_fresh_process_matches(tmp_path: Path) -> None:
    """Determinism across interpreters too (hash seeds, dict order)."""
    results = []
    for run in range(2):
        out = tmp_path / f"p{run}"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pulumi_flink.offline.cli",
                "render",
                "--config",
                str(ROOT / "stacks" / "Pulumi.dev.yaml"),
                "--out",
                str(out),
            ],
            check=True,
            capture_output=True,
            env={"PYTHONHASHSEED": str(run + 1), "PATH": "/usr/bin:/bin", **IMPORT_PATH},
        )
        results.append({p.relative_to(out): p.read_bytes() for p in out.rglob("*.yaml")})
    assert results[0] == results[1]


def test_summary_warns_when_parallelism_exceeds_slots(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack = write_stack(
        tmp_path / "Pulumi.x.yaml",
        [
            {
                "name": "big",
                "flinkVersion": "2.3",
                "parallelism": 8,
                "taskManager": {"replicas": 2, "slots": 2},
            }
        ],
    )
    assert main(["render", "--config", str(stack), "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "WARNING: big: parallelism 8 is above the 4 task slots" in out


def test_multiple_clusters_summary_totals(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stack = write_stack(
        tmp_path / "Pulumi.two.yaml",
        [
            {"name": "a", "flinkVersion": "1.20", "taskManager": {"replicas": 2, "slots": 2}},
            {
                "name": "b",
                "flinkVersion": "2.3",
                "namespace": "other",
                "jobManager": {"cpu": "2", "memory": "2Gi"},
            },
        ],
    )
    assert main(["render", "--config", str(stack), "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    # each with a TaskManager budget and two NetworkPolicies
    assert "2 Flink cluster(s), 18 Kubernetes objects" in out
    assert "Totals: 5 slot(s), 6 CPU" in out
    assert (tmp_path / "out" / "other" / "configmap-b-config.yaml").is_file()


@pytest.mark.parametrize(
    ("clusters", "extra", "expected"),
    [
        (
            [{"name": "a", "flinkVersion": "1.20", "taskManager": {"replicas": 0}}],
            {},
            "clusters[0].taskManager.replicas",
        ),
        ([{"name": "a"}], {}, "clusters[0].flinkVersion"),
        (
            [{"name": "a", "flinkVersion": "1.20", "flinkConfiguration": {"rest.port": 1}}],
            {},
            "clusters[0].flinkConfiguration.rest.port",
        ),
        (
            [{"name": "a", "flinkVersion": "1.20"}, {"name": "a", "flinkVersion": "2.3"}],
            {},
            "clusters[1].name",
        ),
        ([{"name": "a", "flinkVersion": "1.20"}], {"pulumi-flink:cluster": []}, "pulumi-flink:cluster"),
        ([], {}, "pulumi-flink:clusters"),
        ("analytics", {}, "pulumi-flink:clusters"),
        (["analytics"], {}, "clusters[0]"),
    ],
)
def test_bad_input_exits_2_with_the_path_and_writes_nothing(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    clusters: object,
    extra: dict[str, object],
    expected: str,
) -> None:
    stack = write_stack(tmp_path / "Pulumi.bad.yaml", clusters, extra)
    out = tmp_path / "out"
    assert main(["render", "--config", str(stack), "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert expected in captured.err
    assert "Traceback" not in captured.err
    assert "Fix:" in captured.err
    assert not out.exists()


def test_bad_input_leaves_a_previous_render_untouched(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["render", "--config", str(ROOT / "stacks" / "Pulumi.dev.yaml"), "--out", str(out)]) == 0
    before = {p: p.read_bytes() for p in out.rglob("*.yaml")}
    bad = write_stack(tmp_path / "Pulumi.bad.yaml", [{"name": "a", "flinkVersion": "9.9"}])
    assert main(["render", "--config", str(bad), "--out", str(out)]) == 2
    assert {p: p.read_bytes() for p in out.rglob("*.yaml")} == before


def test_missing_or_malformed_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", "--config", str(tmp_path / "nope.yaml"), "--out", str(tmp_path / "o")]) == 2
    assert "no such stack config file" in capsys.readouterr().err
    broken = tmp_path / "Pulumi.broken.yaml"
    broken.write_text("config: [unclosed")
    assert main(["render", "--config", str(broken), "--out", str(tmp_path / "o")]) == 2
    assert "not valid YAML" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_refuses_to_overwrite_a_folder_that_is_not_a_render(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "precious"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    assert main(["render", "--config", str(ROOT / "stacks" / "Pulumi.dev.yaml"), "--out", str(out)]) == 2
    assert "refusing to replace" in capsys.readouterr().err
    assert (out / "notes.txt").read_text() == "keep me"


def test_rerender_replaces_stale_objects(tmp_path: Path) -> None:
    out = tmp_path / "out"
    two = write_stack(
        tmp_path / "Pulumi.s.yaml",
        [{"name": "a", "flinkVersion": "1.20"}, {"name": "b", "flinkVersion": "1.20"}],
    )
    one = write_stack(tmp_path / "Pulumi.s1.yaml", [{"name": "a", "flinkVersion": "1.20"}])
    main(["render", "--config", str(two), "--out", str(out)])
    main(["render", "--config", str(one), "--out", str(out)])
    assert {o["metadata"]["labels"]["app.kubernetes.io/instance"] for o in load_manifests(out)} == {"a"}


def test_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "pulumi-flink"
    assert script.exists() or shutil.which("pulumi-flink")
    result = subprocess.run([str(script), "render", "--help"], capture_output=True, text=True, check=True)
    assert "--stack" in result.stdout and "--out" in result.stdout


def test_summary_per_mode(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stack = write_stack(
        tmp_path / "Pulumi.modes.yaml",
        [
            {"name": "app", "flinkVersion": "1.20", "mode": "application",
             "job": {"jar": "/opt/flink/usrlib/app.jar", "entryClass": "com.example.App", "parallelism": 2},
             "taskManager": {"replicas": 2}},
            {"name": "etl", "flinkVersion": "1.20", "mode": "per-job",
             "jobs": [{"name": "a", "jar": "https://x.example.com/a.jar"},
                      {"name": "b", "jar": "https://x.example.com/b.jar", "taskManager": {"cpu": "2"}}]},
        ],
    )
    assert main(["render", "--config", str(stack), "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "app (namespace default): standalone application, Flink 1.20" in out
    assert "  Job: com.example.App from /opt/flink/usrlib/app.jar" in out
    assert "  JobManager:   1 x (1 CPU, 1600Mi) as a Job" in out
    assert "= 2 slot(s); parallelism 2" in out
    assert "etl (namespace default): standalone per-job" in out
    assert "  job b: the jar's Main-Class from https://x.example.com/b.jar, on cluster etl-b" in out
    assert "    TaskManagers: 1 x (2 CPU, 1728Mi)" in out
    assert "    Client: Job etl-a-submit runs flink run once" in out
    # What the manifests hold: app 1 + 2 CPU; etl (1 + 1) + (1 + 2) CPU and the two clients' 500m
    # (their fetch-jar init containers' 100m fit in the main container's share).
    assert "Totals: 4 slot(s), 9 CPU" in out


def test_summary_of_a_native_cluster(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stack = write_stack(
        tmp_path / "Pulumi.native.yaml",
        [{"name": "adhoc", "flinkVersion": "2.3", "native": True,
          "taskManager": {"slots": 4, "memory": "4Gi"}}],
    )
    assert main(["render", "--config", str(stack), "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "adhoc (namespace default): native session, Flink 2.3" in out
    assert "TaskManagers: created on demand by the JobManager, each (1 CPU, 4Gi) with 4 slot(s)" in out
    assert "REST: ClusterIP Service adhoc-rest:8081" in out
    assert "Totals: 0 slot(s), 1 CPU, 1600Mi memory (plus native TaskManagers)" in out
    assert (tmp_path / "out" / "default" / "configmap-flink-config-adhoc.yaml").is_file()


def test_summary_of_a_highly_available_cluster(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ha = {"type": "zookeeper", "storageDir": "file:///flink-ha", "volumeClaim": "flink-ha"}
    stack = write_stack(
        tmp_path / "Pulumi.ha.yaml",
        [{"name": "ha", "flinkVersion": "1.20", "jobManager": {"replicas": 2}, "highAvailability": ha}],
    )
    assert main(["render", "--config", str(stack), "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "  HA: zookeeper, storage file:///flink-ha, 1 standby JobManager(s), fast failover" in out
    assert "  ZooKeeper: 3 x (500m CPU, 1Gi, 10Gi volume), StatefulSet ha-zookeeper" in out
    # 2 JobManagers + 1 TaskManager + 3 ZooKeeper servers.
    assert "Requests = limits: 4500m CPU, 8000Mi memory" in out


# --- the input file itself --------------------------------------------------------------------

DEV_STACK = ROOT / "stacks" / "Pulumi.dev.yaml"


def render_refused(
    capsys: pytest.CaptureFixture[str], stack: Path, out: Path, *extra: str
) -> str:
    """Render ``stack``: exit 2 in bounded time, one clear message, nothing written. stderr."""
    start = time.monotonic()
    assert main(["render", "--config", str(stack), "--out", str(out), *extra]) == 2
    assert time.monotonic() - start < 10
    captured = capsys.readouterr()
    assert captured.err.startswith("error: ") and captured.out == ""
    assert "Traceback" not in captured.err and "internal error" not in captured.err, captured.err
    assert not out.exists()
    return captured.err


def _laughs(levels: int) -> str:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 10) + "]" for n in range(1, levels)]
    return "\n".join(lines) + "\nconfig: {}\n"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (_laughs(9), ":4:45: aliases expand to more than 10000 values"),
        ("config:\n  pulumi-flink:clusters: &c [" + "*c, " * 3 + "]\n", "is inside its own anchor"),
        ("config:\n  x: " + "[" * 5000 + "]" * 5000 + "\n", ":2:68: nested more than 64 levels deep"),
        (
            "config:\n  pulumi-flink:clusters:\n    - {name: a, flinkVersion: '1.20'}\n"
            "  pulumi-flink:clusters: []\n",
            ":4:3: mapping key 'pulumi-flink:clusters' already defined at line 2",
        ),
        (b"\x7fELF\x02\x01\x01\x00\x00\x00", "a binary file (it holds NUL bytes)"),
        (b"config:\n  a: \xc3\x28\n", ":2: not UTF-8 text"),
        ("config: !!python/object/apply:os.system [echo hi]\n", ":1:9: not valid YAML: could not determine"),
        ("config:\n  n: " + "1" * 5000 + "\n", ":2:6: a number longer than 64 characters"),
        ("- config\n", "expected a mapping with a 'config:' block"),
        ("config: [a, b]\n", "expected a mapping with a 'config:' block"),
        ("config:\n  pulumi-flink:clusters: 2024-01-01\n", "pulumi-flink:clusters"),
        ("config:\n  pulumi-flink:clusters: [{name: a, flinkVersion: .nan}]\n", "clusters[0].flinkVersion"),
    ],
)
def test_a_bad_stack_file_exits_2_with_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | bytes, message: str
) -> None:
    stack = tmp_path / "Pulumi.bad.yaml"
    stack.write_bytes(content.encode() if isinstance(content, str) else content)
    err = render_refused(capsys, stack, tmp_path / "out")
    assert message in err, err
    assert "nothing was rendered" in err


def test_a_deeply_nested_stack_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stack = tmp_path / "Pulumi.deep.yaml"
    stack.write_text("config:\n  x: " + "[" * 100_000 + "]" * 100_000 + "\n")
    assert f"{stack}:2:" in render_refused(capsys, stack, tmp_path / "out")


def test_a_fifo_or_folder_as_the_stack_file_is_refused_without_waiting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = tmp_path / "Pulumi.fifo.yaml"
    os.mkfifo(fifo)
    assert "not a regular file" in render_refused(capsys, fifo, tmp_path / "out")
    folder = tmp_path / "Pulumi.folder.yaml"
    folder.mkdir()
    assert "not a regular file" in render_refused(capsys, folder, tmp_path / "out")


def test_aliases_within_bounds_render_as_if_written_out(tmp_path: Path) -> None:
    cluster = "{name: a, flinkVersion: '1.20', taskManager: &tm {replicas: 2, slots: 2}}"
    with_alias = tmp_path / "Pulumi.alias.yaml"
    with_alias.write_text(
        f"config:\n  pulumi-flink:clusters:\n    - {cluster}\n"
        "    - {name: b, flinkVersion: '1.20', taskManager: *tm}\n"
    )
    written_out = tmp_path / "Pulumi.plain.yaml"
    plain = with_alias.read_text().replace("&tm ", "").replace("*tm", "{replicas: 2, slots: 2}")
    written_out.write_text(plain)
    for stack in (with_alias, written_out):
        assert main(["render", "--config", str(stack), "--out", str(tmp_path / stack.stem)]) == 0
    assert load_manifests(tmp_path / "Pulumi.alias") == load_manifests(tmp_path / "Pulumi.plain")


@pytest.mark.parametrize(
    ("project_file", "message"),
    [
        ("name: [unclosed", "Pulumi.yaml:1:16: not valid YAML"),
        ("name: a\nname: b\n", "Pulumi.yaml:2:1: mapping key 'name' already defined at line 1"),
        ("- a list\n", "Pulumi.yaml: expected a mapping with a string 'name:'"),
        ("name: {a: 1}\n", "Pulumi.yaml: expected a mapping with a string 'name:'"),
        (b"name: \xff\n", "Pulumi.yaml:1: not UTF-8 text"),
    ],
)
def test_a_malformed_pulumi_yaml_above_the_stack_file_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], project_file: str | bytes, message: str
) -> None:
    (tmp_path / "Pulumi.yaml").write_bytes(
        project_file.encode() if isinstance(project_file, str) else project_file
    )
    stacks = tmp_path / "stacks"
    stacks.mkdir()
    stack = write_stack(stacks / "Pulumi.x.yaml", [{"name": "a", "flinkVersion": "1.20"}])
    err = render_refused(capsys, stack, tmp_path / "out")
    assert str(tmp_path / message.split(":")[0]) in err and message in err, err


def test_the_project_name_comes_from_pulumi_yaml(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: my-flink\nruntime: python\n")
    stack = write_stack(
        tmp_path / "Pulumi.x.yaml", [{"name": "a", "flinkVersion": "1.20"}], {"my-flink:clusters": []}
    )
    # The project's own key is read (an empty list), the default project's key is not a key of it.
    assert main(["render", "--config", str(stack), "--out", str(tmp_path / "out")]) == 2


# --- the stack name and the default output folder ------------------------------------------------


@pytest.mark.parametrize("name", ["", ".", "..", "a/b", "../x", "a\\b", "x" * 101, "a b"])
def test_a_stack_name_that_is_not_one_is_refused_by_argparse(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["render", "--stack", name, "--stacks-dir", str(tmp_path)])
    assert exited.value.code == 2
    assert "is not a stack name" in capsys.readouterr().err


def test_a_stack_file_without_a_stack_name_never_defaults_to_all_of_rendered(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    earlier = tmp_path / "rendered" / "dev"
    assert main(["render", "--config", str(DEV_STACK), "--out", str(earlier)]) == 0
    capsys.readouterr()
    before = {p: p.read_bytes() for p in (tmp_path / "rendered").rglob("*") if p.is_file()}
    stack = tmp_path / "Pulumi..yaml"
    shutil.copy(DEV_STACK, stack)
    err = render_refused(capsys, stack, tmp_path / "unused")[: 10**4]
    assert "the stack name is the <stack> of Pulumi.<stack>.yaml" in err
    assert main(["render", "--config", str(stack)]) == 2
    assert {p: p.read_bytes() for p in (tmp_path / "rendered").rglob("*") if p.is_file()} == before


# --- the output folder, through the command line ---------------------------------------------------


def test_refuses_the_folder_that_holds_the_stack_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stacks = tmp_path / "stacks"
    stacks.mkdir()
    stack = write_stack(stacks / "Pulumi.x.yaml", [{"name": "a", "flinkVersion": "1.20"}])
    before = stack.read_bytes()
    for out in (stacks, tmp_path):
        assert main(["render", "--config", str(stack), "--out", str(out)]) == 2
        captured = capsys.readouterr()
        assert "an input of this render" in captured.err and "Traceback" not in captured.err
        assert "nothing was written" in captured.err
    assert stack.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["stacks"]


def test_an_impossible_out_path_is_a_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "file").write_text("x")
    for out in (tmp_path / "file" / "out", tmp_path / ("n" * 300)):
        assert main(["render", "--config", str(DEV_STACK), "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: cannot write the render to") and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


# --- tracebacks -------------------------------------------------------------------------------------


def test_an_unexpected_error_is_one_line_naming_its_type(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(cli, "render_stack", broken)
    monkeypatch.delenv(cli.DEBUG_ENV, raising=False)
    out = tmp_path / "out"
    assert main(["render", "--config", str(DEV_STACK), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == ["error: internal error: RuntimeError: boom", cli.BUG_REPORT_HINT]
    assert not out.exists()
    monkeypatch.setattr(cli, "diff_folders", broken)
    assert main(["diff", str(tmp_path), str(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith("error: internal error: RuntimeError")
    # For whoever debugs it: the traceback, on request.
    monkeypatch.setenv(cli.DEBUG_ENV, "1")
    with pytest.raises(RuntimeError):
        main(["render", "--config", str(DEV_STACK), "--out", str(out)])


def test_every_event_loop_of_a_render_is_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pulumi's mock monitor opens an event loop on each executor thread; one left open is closed
    by the garbage collector at interpreter exit, when its sockets may be gone already: the
    stray ``BaseEventLoop.__del__ ... Invalid file descriptor`` after a good render."""
    loops: list[asyncio.AbstractEventLoop] = []
    real_new_event_loop = asyncio.new_event_loop

    def recorded() -> asyncio.AbstractEventLoop:
        loops.append(real_new_event_loop())
        return loops[-1]

    monkeypatch.setattr(asyncio, "new_event_loop", recorded)
    program_loop = asyncio.new_event_loop()
    asyncio.set_event_loop(program_loop)
    try:
        render_stack(parse_stack_config(load_stack_file(DEV_STACK)), stack_name="dev")
        render_stack(parse_stack_config(load_stack_file(DEV_STACK)), stack_name="dev")
        assert len(loops) > 2  # the program's, and one per monitor call
        # The program's loop stays for the next run, to be closed at exit; the monitor's are closed.
        assert [loop for loop in loops if not loop.is_closed()] == [program_loop]
        assert program_loop in renderer._LOOPS_CLOSED_AT_EXIT
    finally:
        asyncio.set_event_loop(None)
        program_loop.close()
    # A closed loop is not reused: the next run makes its own.
    render_stack(parse_stack_config(load_stack_file(DEV_STACK)), stack_name="dev")
    assert not asyncio.get_event_loop().is_closed()


def test_a_render_in_a_fresh_process_writes_nothing_to_stderr(tmp_path: Path) -> None:
    """With ResourceWarning shown, an event loop left for the garbage collector says so."""
    result = subprocess.run(
        [sys.executable, "-W", "always::ResourceWarning", "-m", "pulumi_flink.offline.cli", "render",
         "--config", str(DEV_STACK), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", **IMPORT_PATH},
        timeout=120,
    )
    assert result.returncode == 0 and result.stderr == ""


# --- any stack file at all ------------------------------------------------------------------------

VALID_STACK = "config:\n  pulumi-flink:clusters:\n    - name: a\n      flinkVersion: '1.20'\n"


def deep_document(depth: int) -> str:
    return "config:\n  x: " + "[" * depth + "]" * depth + "\n"


def duplicate_keys(key: str) -> str:
    return f"config:\n  {key}: 1\n  {key}: 2\n"


stack_file_bytes = st.one_of(
    st.binary(max_size=200),
    st.lists(st.sampled_from(YAML_PIECES), max_size=30).map(lambda parts: "".join(parts).encode()),
    st.builds(
        lambda at, parts: (VALID_STACK[:at] + "".join(parts) + VALID_STACK[at:]).encode(),
        st.integers(0, len(VALID_STACK)),
        st.lists(st.sampled_from(YAML_PIECES), max_size=4),
    ),
    st.integers(1, 3000).map(lambda d: deep_document(d).encode()),
    st.sampled_from(["pulumi-flink:clusters", "a", "1", "true", "null"]).map(
        lambda key: duplicate_keys(key).encode()
    ),
    st.integers(1, 12).map(
        lambda levels: (
            "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
            + "".join(f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 10) + "]\n" for n in range(1, levels))
            + "config: {}\n"
        ).encode()
    ),
)


@fuzz_settings(60)
@given(content=stack_file_bytes)
def test_any_stack_file_renders_or_exits_2_with_one_message_and_writes_nothing(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        stack, out = Path(tmp) / "Pulumi.fuzz.yaml", Path(tmp) / "out"
        stack.write_bytes(content)
        stdout, stderr = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            code = main(["render", "--config", str(stack), "--out", str(out)])
        err = stderr.getvalue()
        assert code in (0, 2), (code, err)
        assert "Traceback" not in err and "internal error" not in err, err
        if code == 2:
            assert err.startswith("error: ") and stdout.getvalue() == ""
            assert sorted(p.name for p in Path(tmp).iterdir()) == ["Pulumi.fuzz.yaml"]
        else:
            assert (out / RENDER_MARKER).is_file()
