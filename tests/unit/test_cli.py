"""The offline renderer's command line: files, summary, errors, determinism."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pulumi_flink.cli import main
from pulumi_flink.manifests import RENDER_MARKER, load_manifests

ROOT = Path(__file__).resolve().parents[2]
# A child interpreter imports the same pulumi_flink as this one (a checkout's, not an installed one).
IMPORT_PATH = {"PYTHONPATH": os.environ["PYTHONPATH"]} if "PYTHONPATH" in os.environ else {}


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
                "pulumi_flink.cli",
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
    # app: 1 + 2 CPU; etl: (1 + 1) + (1 + 2) CPU; the clients are not counted (they finish).
    assert "Totals: 4 slot(s), 8 CPU" in out


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
