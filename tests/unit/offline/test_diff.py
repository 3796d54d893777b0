"""``pulumi-flink diff``: real renders of the dev stack with one knob changed, compared as Markdown."""

from __future__ import annotations

import contextlib
import copy
import io
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from pulumi_flink.model.naming import CONFIG_CHECKSUM_ANNOTATION, DEPLOYMENT_MODE_ANNOTATION
from pulumi_flink.offline.cli import load_stack_file, main
from pulumi_flink.offline.diff import (
    ABSENT,
    LIBRARY_REPLACE_ON_CHANGES,
    REVIEW_MARKER,
    DiffOptions,
    FieldChange,
    Item,
    ObjectChange,
    diff_folders,
    diff_object,
    diff_renders,
    format_path,
    format_value,
    load_render,
    parse_property_path,
    to_markdown,
)
from pulumi_flink.offline.manifests import RENDER_MARKER, write_manifests
from pulumi_flink.offline.renderer import REDACTED, render_stack
from pulumi_flink.program import PROJECT, parse_stack_config
from pulumi_flink.resources.workloads import REPLACE_ON_MODE_CHANGE
from tests.support.fuzz import YAML_PIECES, fuzz_settings
from tests.support.paths import IMPORT_PATH, ROOT

DEV_STACK = ROOT / "stacks" / "Pulumi.dev.yaml"
CLUSTERS = f"{PROJECT}:clusters"
REVIEW_DOC = ROOT / "README.md"
DEFAULTS = DiffOptions()


def dev_config() -> dict[str, Any]:
    return copy.deepcopy(load_stack_file(DEV_STACK))


def render_to(config: dict[str, Any], out: Path) -> Path:
    """The real offline render of a stack config, written as `pulumi-flink render` writes it."""
    stack = parse_stack_config(config, PROJECT)
    write_manifests(render_stack(stack, stack_name="dev", project=PROJECT).kubernetes_objects(), out)
    return out


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render_to(dev_config(), tmp_path_factory.mktemp("base") / "render")


@pytest.fixture
def head(tmp_path: Path) -> Callable[[Callable[[dict[str, Any]], None]], Path]:
    """Render the dev stack after ``change`` edits its only cluster."""

    def render(change: Callable[[dict[str, Any]], None]) -> Path:
        config = dev_config()
        change(config[CLUSTERS][0])
        return render_to(config, tmp_path / "head")

    return render


def changes_between(base: Path, head: Path, options: DiffOptions = DEFAULTS) -> list[ObjectChange]:
    return diff_renders(load_render(base), load_render(head), options)


def by_name(changes: list[ObjectChange]) -> dict[tuple[str, str], ObjectChange]:
    return {(c.key.kind, c.key.name): c for c in changes}


def set_replicas(cluster: dict[str, Any]) -> None:
    cluster["taskManager"]["replicas"] = 3


def set_checkpoint_interval(cluster: dict[str, Any]) -> None:
    cluster["flinkConfiguration"]["execution.checkpointing.interval"] = "60 s"


# --- real renders -------------------------------------------------------------------------


def test_identical_renders_say_no_changes(
    base: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    again = render_to(dev_config(), tmp_path / "again")
    assert main(["diff", str(base), str(again)]) == 0
    out = capsys.readouterr().out
    assert out == "### pulumi-flink diff: No changes\n"
    assert main(["diff", str(base), str(again), "--exit-code", "--title", "Stack dev"]) == 0
    assert capsys.readouterr().out == "### Stack dev: No changes\n"


def test_taskmanager_replicas_is_a_scale_of_one_deployment(
    base: Path, head: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    after = head(set_replicas)
    (change,) = changes_between(base, after)
    assert (change.status, change.key.kind, change.key.name) == (
        "changed",
        "Deployment",
        "analytics-taskmanager",
    )
    assert change.fields == (FieldChange(("spec", "replicas"), 2, 3),)
    assert change.marks == () and change.mark == ""
    assert main(["diff", str(base), str(after), "--exit-code"]) == 1
    out = capsys.readouterr().out
    assert "| `spec.replicas` | `2` | `3` |" in out
    assert "| changed | Deployment | `flink-dev/analytics-taskmanager` |  | in place |" in out
    assert "restart" not in out.lower().replace("0 restart", "")
    assert "replace" not in out.lower().replace("0 replace", "")
    assert main(["diff", str(base), str(after)]) == 0


def test_flink_configuration_change_shows_the_file_diff_and_restarts_the_workloads(
    base: Path, head: Callable[..., Path]
) -> None:
    after = head(set_checkpoint_interval)
    changes = by_name(changes_between(base, after))
    assert set(changes) == {
        ("ConfigMap", "analytics-config"),
        ("Deployment", "analytics-jobmanager"),
        ("Deployment", "analytics-taskmanager"),
    }
    for name in ("analytics-jobmanager", "analytics-taskmanager"):
        workload = changes[("Deployment", name)]
        assert workload.mark == "restart"
        assert [m.reason for m in workload.marks] == ["Flink configuration changed"]
        (field,) = workload.fields
        assert field.path == ("spec", "template", "metadata", "annotations", CONFIG_CHECKSUM_ANNOTATION)
    config_map = changes[("ConfigMap", "analytics-config")]
    assert [f.text for f in config_map.fields] == ['data["flink-conf.yaml"]']
    # pulumi-kubernetes' default: changed ConfigMap data is a replacement...
    assert config_map.mark == "replace" and "enableConfigMapMutable" in config_map.marks[0].reason
    # ...unless the provider sets enableConfigMapMutable.
    mutable = by_name(changes_between(base, after, DiffOptions(configmap_mutable=True)))
    assert mutable[("ConfigMap", "analytics-config")].mark == ""
    assert mutable[("Deployment", "analytics-taskmanager")].mark == "restart"

    _, markdown = diff_folders(base, after)
    block = markdown.split('`data["flink-conf.yaml"]`:\n\n```diff\n', 1)[1].split("\n```\n", 1)[0]
    assert "-execution.checkpointing.interval: 30 s\n+execution.checkpointing.interval: 60 s" in block
    assert block.startswith("--- base\n+++ head\n@@ ")
    assert "log4j" not in block, "only the changed file is shown"
    assert "state.backend.type: hashmap" not in block, "the diff keeps to the changed lines' context"


def test_image_bump_restarts_both_workloads_and_nothing_else(base: Path, head: Callable[..., Path]) -> None:
    after = head(lambda cluster: cluster.update(image="flink:1.20.1-java17"))
    changes = changes_between(base, after)
    assert [(c.key.kind, c.key.name) for c in changes] == [
        ("Deployment", "analytics-jobmanager"),
        ("Deployment", "analytics-taskmanager"),
    ]
    for change, container in zip(changes, ("jobmanager", "taskmanager"), strict=True):
        assert change.mark == "restart"
        image = f"spec.template.spec.containers[{container}].image"
        assert [f.text for f in change.fields] == [image]
        assert (change.fields[0].old, change.fields[0].new) == ("flink:1.20-java17", "flink:1.20.1-java17")
        assert [m.reason for m in change.marks] == [f"pod template changed: `{image}`"]


def test_session_to_application_replaces_the_jobmanager(base: Path, head: Callable[..., Path]) -> None:
    def to_application(cluster: dict[str, Any]) -> None:
        cluster["mode"] = "application"
        cluster["jobManager"]["workload"] = "Deployment"
        cluster["job"] = {"jar": "/opt/flink/usrlib/orders.jar", "entryClass": "com.example.Orders"}

    changes = by_name(changes_between(base, head(to_application)))
    jobmanager = changes[("Deployment", "analytics-jobmanager")]
    assert jobmanager.mark == "replace"
    (reason,) = [m.reason for m in jobmanager.marks]
    assert "`standalone session` → `standalone application`" in reason and "replaceOnChanges" in reason
    annotation = ("metadata", "annotations", DEPLOYMENT_MODE_ANNOTATION)
    assert annotation in [f.path for f in jobmanager.fields]
    assert all(c.mark != "replace" for k, c in changes.items() if k != ("Deployment", "analytics-jobmanager"))


def test_mode_annotation_compared_by_value_even_when_the_map_is_new() -> None:
    """An older render without annotations: the mode appears with the whole map."""
    old = manifest("Deployment", "analytics-jobmanager", "apps/v1", spec={"replicas": 1})
    new = copy.deepcopy(old)
    new["metadata"]["annotations"] = {DEPLOYMENT_MODE_ANNOTATION: "standalone session"}
    change = diff_object(old, new)
    assert change is not None and [f.text for f in change.fields] == ["metadata.annotations"]
    assert change.mark == "replace"
    assert change.marks[0].reason.startswith("Flink deployment mode *(none)* → `standalone session`")
    assert LIBRARY_REPLACE_ON_CHANGES == (("metadata", "annotations", DEPLOYMENT_MODE_ANNOTATION),)
    assert tuple(format_path(p) for p in LIBRARY_REPLACE_ON_CHANGES) == REPLACE_ON_MODE_CHANGE


def test_per_job_changed_job_restarts_its_jobmanager_and_replaces_its_submitter(tmp_path: Path) -> None:
    config = copy.deepcopy(load_stack_file(ROOT / "stacks" / "Pulumi.mode-per-job.yaml"))
    before = render_to(config, tmp_path / "base")
    clicks = next(j for j in config[CLUSTERS][0]["jobs"] if j["name"] == "clicks")
    clicks["args"] = ["--window", "10 min"]
    changes = by_name(changes_between(before, render_to(config, tmp_path / "head")))
    assert set(changes) == {("Deployment", "etl-clicks-jobmanager"), ("Job", "etl-clicks-submit")}
    jobmanager, submitter = (
        changes[("Deployment", "etl-clicks-jobmanager")],
        changes[("Job", "etl-clicks-submit")],
    )
    assert jobmanager.mark == "restart" and [m.reason for m in jobmanager.marks] == [
        "the submitted job changed"
    ]
    assert submitter.mark == "replace"
    assert [m.reason for m in submitter.marks] == [
        "`spec.template` cannot change in place (pulumi-kubernetes replaces)"
    ]


def test_application_stack_as_head_is_a_different_set_of_objects(base: Path) -> None:
    """stacks/Pulumi.mode-application.yaml runs other clusters in another namespace."""
    after = render_to(load_stack_file(ROOT / "stacks" / "Pulumi.mode-application.yaml"), base.parent / "app")
    changes = changes_between(base, after)
    assert {c.status for c in changes} == {"added", "removed"}
    assert ("Job", "nightly-jobmanager") in {(c.key.kind, c.key.name) for c in changes if c.status == "added"}


def test_cluster_rename_is_removed_plus_added(base: Path, head: Callable[..., Path]) -> None:
    changes = changes_between(base, head(lambda cluster: cluster.update(name="metrics")))
    removed = sorted(c.key.name for c in changes if c.status == "removed")
    added = sorted(c.key.name for c in changes if c.status == "added")
    assert len(changes) == len(removed) + len(added) == 18
    assert all(n.startswith("analytics-") for n in removed) and all(n.startswith("metrics-") for n in added)
    markdown = to_markdown(changes)
    assert "**0 changed** (0 replace, 0 restart, 0 in place), **9 added**, **9 removed**" in markdown
    assert "Removed + added" in markdown and "a replacement" in markdown


def test_secret_placeholder_stays_a_placeholder(tmp_path: Path) -> None:
    """Pulumi secrets through the real renderer (its redaction), then diffed."""
    import pulumi
    import pulumi_kubernetes as k8s

    from pulumi_flink.offline.renderer import run_program

    def render(credentials: dict[str, str], out: Path) -> Path:
        def program() -> None:
            k8s.core.v1.Secret(
                "orders-ha-credentials",
                metadata={"name": "orders-ha-credentials", "namespace": "flink"},
                type="Opaque",
                string_data={k: pulumi.Output.secret(v) for k, v in credentials.items()},
            )

        write_manifests(run_program(program).kubernetes_objects(), out)
        return out

    before = render({"AWS_ACCESS_KEY_ID": "AKIAOLDEXAMPLE"}, tmp_path / "base")
    after = render(
        {"AWS_ACCESS_KEY_ID": "AKIANEWEXAMPLE", "AWS_SECRET_ACCESS_KEY": "s3cr3t"}, tmp_path / "head"
    )
    changes, markdown = diff_folders(before, after)
    (secret,) = changes
    assert [(f.text, f.old, f.new) for f in secret.fields] == [
        ("stringData.AWS_SECRET_ACCESS_KEY", ABSENT, REDACTED)
    ]
    # The changed key id is a placeholder on both sides: no difference can show.
    assert "AWS_ACCESS_KEY_ID" not in markdown
    assert f"| *(absent)* | `{REDACTED}` |" in markdown
    for leaked in ("s3cr3t", "AKIAOLDEXAMPLE", "AKIANEWEXAMPLE"):
        assert leaked not in markdown
    assert "Secret values are not rendered" in markdown
    assert secret.mark == "replace" and "enableSecretMutable" in secret.marks[0].reason
    assert diff_object(load_render(after)[secret.key], load_render(after)[secret.key]) is None
    assert to_markdown([]) == "### pulumi-flink diff: No changes\n"
    _, same = diff_folders(after, after)
    assert same == "### pulumi-flink diff: No changes (secret values are not compared)\n"


def test_secret_placeholder_is_shown_exactly() -> None:
    assert format_value(REDACTED) == f"`{REDACTED}`"
    assert format_value("plain") == '`"plain"`'
    old = manifest("Secret", "creds", stringData={"KEY": REDACTED}, type="Opaque")
    new = manifest("Secret", "creds", stringData={"KEY": "inline-value"}, type="Opaque")
    change = diff_object(old, new)
    assert change is not None
    assert f'| `{REDACTED}` | `"inline-value"` |' in to_markdown([change])


# --- synthetic manifests: the replacement table -------------------------------------------


def manifest(kind: str, name: str, api_version: str = "v1", **body: Any) -> dict[str, Any]:
    return {"apiVersion": api_version, "kind": kind, "metadata": {"name": name, "namespace": "ns"}, **body}


def statefulset(**spec: Any) -> dict[str, Any]:
    base_spec: dict[str, Any] = {
        "replicas": 3,
        "serviceName": "zk-peers",
        "selector": {"matchLabels": {"app": "zk"}},
        "template": {"metadata": {"labels": {"app": "zk"}}, "spec": {"containers": [{"name": "zk"}]}},
    }
    return manifest("StatefulSet", "zk", "apps/v1", spec={**base_spec, **spec})


def service(**spec: Any) -> dict[str, Any]:
    return manifest(
        "Service", "rest", spec={"type": "ClusterIP", "ports": [{"name": "rest", "port": 8081}], **spec}
    )


def pvc(**spec: Any) -> dict[str, Any]:
    base_spec = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
    return manifest("PersistentVolumeClaim", "data", spec={**base_spec, **spec})


def job(**spec: Any) -> dict[str, Any]:
    template = {"spec": {"containers": [{"name": "submit", "image": "flink:1.20"}]}}
    return manifest("Job", "submit", "batch/v1", spec={"backoffLimit": 6, "template": template, **spec})


def binding(role: str) -> dict[str, Any]:
    return manifest(
        "RoleBinding",
        "flink",
        "rbac.authorization.k8s.io/v1",
        roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role},
        subjects=[{"kind": "ServiceAccount", "name": "flink"}],
    )


def pdb(api_version: str, max_unavailable: int) -> dict[str, Any]:
    spec = {"maxUnavailable": max_unavailable, "selector": {"matchLabels": {"app": "zk"}}}
    return manifest("PodDisruptionBudget", "zk", api_version, spec=spec)


@pytest.mark.parametrize(
    ("old", "new", "mark", "words"),
    [
        (service(), service(clusterIP="None"), "replace", "`spec.clusterIP` cannot change in place"),
        (service(clusterIPs=["10.0.0.1"]), service(clusterIPs=["10.0.0.2"]), "replace", "`spec.clusterIPs`"),
        (service(), service(type="NodePort"), "", ""),
        # Kubernetes allows a type change to or from ExternalName in place (clusterIP is cleared);
        # pulumi-kubernetes does not replace for it.
        (service(), service(type="ExternalName", externalName="db.example.com"), "", ""),
        (statefulset(), statefulset(selector={"matchLabels": {"app": "zk2"}}), "replace", "`spec.selector`"),
        (statefulset(), statefulset(serviceName="zk-headless"), "replace", "`spec.serviceName`"),
        (statefulset(), statefulset(podManagementPolicy="Parallel"), "replace", "`spec.podManagementPolicy`"),
        (
            statefulset(
                volumeClaimTemplates=[{"metadata": {"name": "d"}, "spec": {"storageClassName": "a"}}]
            ),
            statefulset(
                volumeClaimTemplates=[{"metadata": {"name": "d"}, "spec": {"storageClassName": "b"}}]
            ),
            "replace",
            "`spec.volumeClaimTemplates`",
        ),
        (statefulset(), statefulset(replicas=5), "", ""),
        (statefulset(), statefulset(updateStrategy={"type": "OnDelete"}), "", ""),
        (
            statefulset(),
            statefulset(
                template={"metadata": {"labels": {"app": "zk"}}, "spec": {"containers": [{"name": "x"}]}}
            ),
            "restart",
            "pod template changed",
        ),
        (statefulset(), statefulset(persistentVolumeClaimRetentionPolicy={"whenDeleted": "Delete"}), "", ""),
        (statefulset(), statefulset(minReadySeconds=10), "", ""),
        (
            job(),
            job(template={"spec": {"containers": [{"name": "submit", "image": "flink:2.3"}]}}),
            "replace",
            "",
        ),
        (job(), job(completionMode="Indexed"), "replace", "is immutable in Kubernetes"),
        (job(), job(backoffLimit=3), "", ""),
        (pvc(), pvc(resources={"requests": {"storage": "2Gi"}}), "", ""),
        (pvc(), pvc(storageClassName="fast"), "replace", "`spec.storageClassName`"),
        (pvc(), pvc(resources={"requests": {"storage": "1Gi"}, "limits": {"storage": "2Gi"}}), "replace", ""),
        (binding("a"), binding("b"), "replace", "`roleRef`"),
        (pdb("policy/v1beta1", 1), pdb("policy/v1beta1", 2), "replace", "`spec`"),
        (pdb("policy/v1", 1), pdb("policy/v1", 2), "", ""),
        (
            manifest("Secret", "s", type="Opaque"),
            manifest("Secret", "s", type="kubernetes.io/tls"),
            "replace",
            "",
        ),
        (
            manifest("ConfigMap", "c", immutable=True, data={"a": "1"}),
            manifest("ConfigMap", "c", immutable=True, data={"a": "2"}),
            "replace",
            "immutable ConfigMap",
        ),
        (
            manifest("ConfigMap", "c", data={"a": "1"}, metadata={"name": "c", "labels": {"x": "1"}}),
            manifest("ConfigMap", "c", data={"a": "1"}, metadata={"name": "c", "labels": {"x": "2"}}),
            "",
            "",
        ),
        (
            manifest("ServiceAccount", "sa", automountServiceAccountToken=False),
            manifest("ServiceAccount", "sa", automountServiceAccountToken=True),
            "",
            "",
        ),
        (
            manifest("Role", "r", "rbac.authorization.k8s.io/v1", rules=[{"verbs": ["get"]}]),
            manifest("Role", "r", "rbac.authorization.k8s.io/v1", rules=[{"verbs": ["get", "list"]}]),
            "",
            "",
        ),
    ],
)
def test_marks_of_synthetic_changes(old: dict[str, Any], new: dict[str, Any], mark: str, words: str) -> None:
    change = diff_object(old, new, DiffOptions(configmap_mutable=True))
    assert change is not None
    assert change.mark == mark, change.marks
    assert words in " ".join(m.reason for m in change.marks)


def test_immutable_configmap_is_replaced_even_when_the_provider_allows_mutation() -> None:
    old = manifest("ConfigMap", "c", immutable=True, data={"a": "1"})
    new = manifest("ConfigMap", "c", immutable=True, data={"a": "2"})
    for options in (DiffOptions(), DiffOptions(configmap_mutable=True)):
        change = diff_object(old, new, options)
        assert change is not None and change.mark == "replace"
    plain = diff_object(
        manifest("ConfigMap", "c", data={"a": "1"}), manifest("ConfigMap", "c", data={"a": "2"})
    )
    assert plain is not None and plain.mark == "replace"
    assert "enableConfigMapMutable" in plain.marks[0].reason


def test_service_cluster_ip_and_statefulset_selector_through_the_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_manifests([service(clusterIP="10.0.0.10"), statefulset()], tmp_path / "base")
    changed = [service(clusterIP="10.0.0.20"), statefulset(selector={"matchLabels": {"app": "zk-new"}})]
    write_manifests(changed, tmp_path / "head")
    out = tmp_path / "review" / "dev.md"
    args = ["diff", str(tmp_path / "base"), str(tmp_path / "head"), "--out", str(out), "--exit-code"]
    assert main(args) == 1
    assert capsys.readouterr().out == ""
    text = out.read_text()
    assert "**2 changed** (2 replace, 0 restart, 0 in place)" in text
    assert "| changed | Service | `ns/rest` | **replace** | `spec.clusterIP` cannot change in place" in text
    assert "| changed | StatefulSet | `ns/zk` | **replace** | `spec.selector` cannot change in place" in text
    assert '| `spec.selector.matchLabels.app` | `"zk"` | `"zk-new"` |' in text


# --- paths, lists, values ------------------------------------------------------------------


def test_paths_name_list_items_by_name_and_quote_dotted_keys() -> None:
    old = {
        "metadata": {"name": "x", "annotations": {"flink.pulumi.com/config-checksum": "a"}},
        "spec": {"containers": [{"name": "flink-main-container", "image": "a"}], "args": ["x", "y"]},
    }
    new = copy.deepcopy(old)
    new["metadata"]["annotations"]["flink.pulumi.com/config-checksum"] = "b"
    new["spec"]["containers"][0]["image"] = "b"
    new["spec"]["args"] = ["x", "z", "w"]
    change = diff_object(manifest("X", "x", **old), manifest("X", "x", **new))
    assert change is not None
    assert [f.text for f in change.fields] == [
        'metadata.annotations["flink.pulumi.com/config-checksum"]',
        "spec.containers[flink-main-container].image",
        "spec.args[1]",
        "spec.args[2]",
    ]
    assert format_path(("data", "flink-conf.yaml")) == 'data["flink-conf.yaml"]'
    assert parse_property_path('metadata.annotations["a.b/c"].x') == ("metadata", "annotations", "a.b/c", "x")
    for bad in ("", ".a", "a..b", "a[0]", 'a["b"'):
        with pytest.raises(ValueError):
            parse_property_path(bad)
    assert format_path(("spec", "ports", Item("0"), "port")) == "spec.ports[0].port"


def test_named_items_added_removed_and_reordered() -> None:
    old = manifest("X", "x", env=[{"name": "A", "value": "1"}, {"name": "B", "value": "2"}])
    new = manifest(
        "X", "x", env=[{"name": "C", "value": "3"}, {"name": "B", "value": "2"}, {"name": "A", "value": "1"}]
    )
    change = diff_object(old, new)
    assert change is not None
    assert [(f.text, f.old, f.new, f.reordered) for f in change.fields] == [
        ("env", ["A", "B"], ["B", "A"], True),
        ("env[C]", ABSENT, {"name": "C", "value": "3"}, False),
    ]
    assert "| `env` (order) | `A, B` | `B, A` |" in to_markdown([change])


def test_types_are_compared_strictly() -> None:
    old, new = manifest("X", "x", value=1), manifest("X", "x", value=True)
    change = diff_object(old, new)
    assert change is not None and change.fields == (FieldChange(("value",), 1, True),)
    assert diff_object(manifest("X", "x", v="2"), manifest("X", "x", v=2)) is not None


def test_pipes_and_backticks_in_values_keep_the_table_intact() -> None:
    change = diff_object(manifest("X", "x", cmd="a | b"), manifest("X", "x", cmd="a `b` | c"))
    assert change is not None
    row = next(line for line in to_markdown([change]).splitlines() if line.startswith("| `cmd`"))
    assert row == '| `cmd` | `"a \\| b"` | ``"a `b` \\| c"`` |'


# --- bad input, determinism -------------------------------------------------------------------


def _missing(folder: Path) -> Path:
    return folder / "missing"


def _a_file(folder: Path) -> Path:
    (folder / "file.yaml").write_text("a: 1")
    return folder / "file.yaml"


def _other_files(folder: Path) -> Path:
    (folder / "notes.txt").write_text("keep me")
    return folder


def _manifest_file(folder: Path, name: str, text: str) -> Path:
    (folder / "ns").mkdir()
    (folder / "ns" / name).write_text(text)
    return folder


def _broken_yaml(folder: Path) -> Path:
    return _manifest_file(folder, "configmap-c.yaml", "data: [unclosed")


def _not_an_object(folder: Path) -> Path:
    return _manifest_file(folder, "configmap-c.yaml", "a: 1")


def _misplaced(folder: Path) -> Path:
    return _manifest_file(
        folder, "configmap-x.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: ns}\n"
    )


def _bomb(folder: Path) -> Path:
    laughs = "".join(f"  l{n}: &l{n} [" + ", ".join([f"*l{n - 1}"] * 10) + "]\n" for n in range(1, 9))
    return _manifest_file(
        folder, "configmap-c.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: ns}\ndata:\n  l0: &l0 x\n" + laughs,
    )


def _duplicate_key(folder: Path) -> Path:
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: ns}\nkind: x\n"
    return _manifest_file(folder, "configmap-c.yaml", text)


def _deep(folder: Path) -> Path:
    return _manifest_file(folder, "configmap-c.yaml", "data: " + "[" * 50_000 + "]" * 50_000)


def _binary(folder: Path) -> Path:
    (folder / "ns").mkdir()
    (folder / "ns" / "configmap-c.yaml").write_bytes(b"\x00\xff" * 100)
    return folder


def _symlink(folder: Path) -> Path:
    (folder / "ns").mkdir()
    (folder / "ns" / "configmap-c.yaml").symlink_to("/dev/zero")
    return folder


def _fifo(folder: Path) -> Path:
    (folder / "ns").mkdir()
    os.mkfifo(folder / "ns" / "configmap-c.yaml")
    return folder


def _namespace_not_a_string(folder: Path) -> Path:
    return _manifest_file(
        folder, "configmap-c.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: [ns]}\n"
    )


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (_bomb, "aliases expand to more than 10000 values"),
        (_duplicate_key, "ns/configmap-c.yaml:4:1: mapping key 'kind' already defined at line 2"),
        (_deep, "configmap-c.yaml:1:70: nested more than 64 levels deep"),
        (_binary, "a binary file"),
        (_symlink, "ns/configmap-c.yaml is a symbolic link, not a manifest"),
        (_fifo, "ns/configmap-c.yaml is a FIFO, not a manifest"),
        (_namespace_not_a_string, "not a rendered Kubernetes object"),
        (_missing, "no such folder"),
        (_a_file, "not a folder"),
        (_other_files, "notes.txt is not a YAML manifest"),
        (_broken_yaml, "not valid YAML"),
        (_not_an_object, "not a rendered Kubernetes object"),
        (_misplaced, "which a render writes to ns/configmap-c.yaml"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(
    base: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    make: Callable[[Path], Path],
    message: str,
) -> None:
    folder = tmp_path / "input"
    folder.mkdir()
    bad = make(folder)
    out = tmp_path / "review.md"
    for args in ([str(base), str(bad)], [str(bad), str(base)]):
        assert main(["diff", *args, "--out", str(out)]) == 2
        captured = capsys.readouterr()
        assert captured.err.startswith("error: ") and message in captured.err
        assert "Traceback" not in captured.err and captured.out == ""
        assert not out.exists()


def test_an_out_file_that_cannot_be_written_exits_2(
    base: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["diff", str(base), str(base), "--out", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("error: ") and captured.out == ""


# --- the --out file: a new file, or one an earlier review wrote; nothing else is touched -------


def _snapshot(folder: Path) -> dict[str, tuple[int, bytes | str]]:
    """Every entry under ``folder`` as it is (mode, and content or link target), links not followed."""
    seen: dict[str, tuple[int, bytes | str]] = {}
    for entry in sorted(folder.rglob("*")):
        info = entry.lstat()
        if entry.is_symlink():
            seen[str(entry.relative_to(folder))] = (info.st_mode, os.readlink(entry))
        elif entry.is_file():
            seen[str(entry.relative_to(folder))] = (info.st_mode, entry.read_bytes())
        else:
            seen[str(entry.relative_to(folder))] = (info.st_mode, "")
    return seen


def test_an_out_file_starts_with_the_marker_and_replaces_an_earlier_review(
    base: Path, head: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    after = head(set_replicas)
    out = tmp_path / "review.md"
    assert main(["diff", str(base), str(after)]) == 0
    printed = capsys.readouterr().out
    assert main(["diff", str(base), str(after), "--out", str(out)]) == 0
    assert out.read_text() == f"{REVIEW_MARKER}\n{printed}"
    assert main(["diff", str(base), str(base), "--out", str(out)]) == 0  # its own: replaced whole
    assert out.read_text() == f"{REVIEW_MARKER}\n### pulumi-flink diff: No changes\n"


def _foreign_file(folder: Path, base: Path, after: Path) -> Path:
    (folder / "notes.md").write_text("my notes\n")
    return folder / "notes.md"


def _link_to_a_foreign_file(folder: Path, base: Path, after: Path) -> Path:
    (folder / "target.md").write_text("someone's file\n")
    (folder / "review.md").symlink_to(folder / "target.md")
    return folder / "review.md"


def _link_to_an_earlier_review(folder: Path, base: Path, after: Path) -> Path:
    (folder / "target.md").write_text(f"{REVIEW_MARKER}\nold\n")
    (folder / "review.md").symlink_to(folder / "target.md")
    return folder / "review.md"


def _dangling_link(folder: Path, base: Path, after: Path) -> Path:
    (folder / "review.md").symlink_to(folder / "elsewhere.md")
    return folder / "review.md"


def _fifo(folder: Path, base: Path, after: Path) -> Path:
    os.mkfifo(folder / "review.md")
    return folder / "review.md"


def _a_folder(folder: Path, base: Path, after: Path) -> Path:
    (folder / "review").mkdir()
    return folder / "review"


def _inside_the_head_render(folder: Path, base: Path, after: Path) -> Path:
    return after / "review.md"


def _marker_later_in_the_file(folder: Path, base: Path, after: Path) -> Path:
    (folder / "review.md").write_text(f"# mine\n{REVIEW_MARKER}\n")
    return folder / "review.md"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (_foreign_file, "was not written by pulumi-flink diff"),
        (_link_to_a_foreign_file, "is a symbolic link"),
        (_link_to_an_earlier_review, "is a symbolic link"),
        (_dangling_link, "is a symbolic link"),
        (_fifo, "is not a regular file"),
        (_a_folder, "is not a regular file"),
        (_inside_the_head_render, "lies inside the render folder"),
        (_marker_later_in_the_file, "was not written by pulumi-flink diff"),
    ],
)
def test_an_out_path_it_did_not_write_is_refused_and_nothing_changes(
    base: Path,
    head: Callable[..., Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    make: Callable[[Path, Path, Path], Path],
    message: str,
) -> None:
    after = head(set_replicas)
    folder = tmp_path / "reviews"
    folder.mkdir()
    out = make(folder, base, after)
    before = (_snapshot(folder), _snapshot(after), _snapshot(base))
    assert main(["diff", str(base), str(after), "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("error: ") and message in captured.err and captured.out == ""
    assert "Traceback" not in captured.err
    assert (_snapshot(folder), _snapshot(after), _snapshot(base)) == before


def test_an_out_path_into_a_render_by_dot_dot_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_manifests([service(clusterIP="10.0.0.10")], tmp_path / "base")
    write_manifests([service(clusterIP="10.0.0.20")], tmp_path / "head")
    out = tmp_path / "head" / ".." / "base" / "ns" / "review.md"
    before = _snapshot(tmp_path)
    assert main(["diff", str(tmp_path / "base"), str(tmp_path / "head"), "--out", str(out)]) == 2
    assert "lies inside the render folder" in capsys.readouterr().err
    assert _snapshot(tmp_path) == before


def test_the_render_marker_is_not_an_object_and_older_renders_have_none(
    base: Path, head: Callable[..., Path], tmp_path: Path
) -> None:
    after = head(set_replicas)
    expected = diff_folders(base, after)[1]
    assert (after / RENDER_MARKER).is_file()
    (after / RENDER_MARKER).unlink()  # as `pulumi-flink render` of an earlier version wrote it
    assert diff_folders(base, after)[1] == expected


def test_an_empty_folder_is_a_render_of_nothing(base: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    changes, markdown = diff_folders(empty, base)
    assert {c.status for c in changes} == {"added"} and len(changes) == 9
    assert "**9 added**" in markdown


def test_output_is_deterministic(base: Path, head: Callable[..., Path], tmp_path: Path) -> None:
    after = head(lambda cluster: (set_replicas(cluster), set_checkpoint_interval(cluster)))
    outputs = []
    for run in range(2):
        out = tmp_path / f"run{run}.md"
        assert main(["diff", str(base), str(after), "--out", str(out)]) == 0
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    # Nor do fresh interpreters (hash seeds), with no locale set (the arrows are UTF-8).
    for seed in ("1", "2"):
        result = subprocess.run(
            [sys.executable, "-m", "pulumi_flink.offline.cli", "diff", str(base), str(after)],
            capture_output=True,
            check=True,
            env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin", **IMPORT_PATH},
        )
        assert REVIEW_MARKER.encode() + b"\n" + result.stdout == outputs[0]
    # Nor does the order the objects were read in matter.
    before, later = load_render(base), load_render(after)
    reversed_order = diff_renders(dict(reversed(before.items())), dict(reversed(later.items())))
    assert REVIEW_MARKER.encode() + b"\n" + to_markdown(reversed_order).encode() == outputs[0]


# --- the sample in docs/review.md -------------------------------------------------------------


def sample_diff(base: Path, head: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["diff", str(base), str(head), "--title", "Stack dev"]) == 0
    return capsys.readouterr().out


def test_docs_sample_is_the_real_output(
    base: Path, head: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """docs/review.md shows `pulumi-flink diff` for the dev stack when taskManager.replicas goes
    2 -> 3 and execution.checkpointing.interval 30 s -> 60 s. Regenerate it with
    `python -m tests.unit.offline.test_diff` if this fails after an intended change."""
    after = head(lambda cluster: (set_replicas(cluster), set_checkpoint_interval(cluster)))
    sample = sample_diff(base, after, capsys)
    assert "**3 changed**" in sample
    assert sample in REVIEW_DOC.read_text(), "the README's sample is stale: regenerate it"


if __name__ == "__main__":  # pragma: no cover - prints the docs sample
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        config = dev_config()
        set_replicas(config[CLUSTERS][0])
        set_checkpoint_interval(config[CLUSTERS][0])
        sys.exit(
            main(
                [
                    "diff",
                    str(render_to(dev_config(), work / "base")),
                    str(render_to(config, work / "head")),
                    "--title",
                    "Stack dev",
                ]
            )
        )


# --- any render folder at all ------------------------------------------------------------------

VALID_MANIFEST = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: ns\ndata:\n  a: b\n"


@fuzz_settings(150)
@given(
    content=st.one_of(
        st.binary(max_size=200),
        st.builds(
            lambda at, parts: (VALID_MANIFEST[:at] + "".join(parts) + VALID_MANIFEST[at:]).encode(),
            st.integers(0, len(VALID_MANIFEST)),
            st.lists(st.sampled_from(YAML_PIECES), max_size=4),
        ),
    )
)
def test_any_manifest_file_compares_or_exits_2_with_one_message(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base, head = Path(tmp) / "base", Path(tmp) / "head" / "ns"
        write_manifests([yaml.safe_load(VALID_MANIFEST)], base)
        head.mkdir(parents=True)
        (head / "configmap-c.yaml").write_bytes(content)
        stdout, stderr = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            code = main(["diff", str(base), str(head.parent)])
        err = stderr.getvalue()
        assert code in (0, 2), (code, err)
        assert "Traceback" not in err and "internal error" not in err, err
        assert (code == 2) == bool(err) and (code == 2) != bool(stdout.getvalue())
