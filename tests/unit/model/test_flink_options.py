"""Keys under every name Flink reads them by: the generated table of Flink's own options
(flink_options.json), the refusal of managed keys' aliases, the user's value winning under
any alias, the local-directory check on aliases, and versions.py's per-version keys."""

from __future__ import annotations

import itertools
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pulumi_flink.model.flink_options import flink_options
from pulumi_flink.model.versions import RENAMED_OPTIONS, SUPPORTED_MINORS, FlinkVersion
from pulumi_flink.render.flink_config import (
    FAST_FAILOVER,
    LIBRARY_DEFAULT_KEYS,
    LOCAL_DIR_KEYS,
    MANAGED_KEYS,
    flink_values,
    local_dir_names,
    managed_names,
)
from pulumi_flink.validation import check_cluster
from scripts.generators import flink_options as generator
from tests.support.fuzz import fuzz_settings
from tests.support.paths import ROOT
from tests.support.rendering import make_spec

ZK = {"type": "zookeeper", "storageDir": "file:///flink-ha", "volumeClaim": "flink-ha"}
VERSIONS = [FlinkVersion(*minor) for minor in SUPPORTED_MINORS]


def problems(version: str, config: dict[str, Any], **overrides: Any) -> dict[str, tuple[str, str]]:
    """Path -> (message, fix) of the first problem at that path; managed-key problems first."""
    spec = make_spec(flinkVersion=version, flinkConfiguration=config, **overrides)
    found: dict[str, tuple[str, str]] = {}
    for problem in check_cluster(spec):
        found.setdefault(problem.path, (problem.message, problem.fix))
    return found


@pytest.mark.parametrize(
    ("version", "key", "field", "message"),
    [
        ("1.14", "recovery.mode", "highAvailability.type", "of high-availability on Flink 1.14"),
        ("1.17", "recovery.mode", "highAvailability.type", "of high-availability.type on Flink 1.17"),
        ("1.20", "recovery.mode", "highAvailability.type", "of high-availability.type on Flink 1.20"),
        ("2.3", "recovery.mode", "highAvailability.type", "of high-availability.type on Flink 2.3"),
        ("2.3", "high-availability", "highAvailability.type", "managed by pulumi-flink"),
        ("1.20", "execution.state-recovery.path", "job.savepoint", "name of execution.savepoint.path"),
        (
            "2.3", "execution.state-recovery.ignore-unclaimed-state", "job.allowNonRestoredState",
            "another name of execution.savepoint.ignore-unclaimed-state",
        ),
        ("1.17", "web.port", "ports.rest", "another name of rest.port on Flink 1.17"),
        ("1.20", "jobmanager.web.port", "ports.rest", "read by Flink in place of rest.port"),
        (
            "1.14", "high-availability.zookeeper.path.namespace", "highAvailability.clusterId",
            "another name of high-availability.cluster-id",
        ),
        ("2.3", "recovery.zookeeper.quorum", "highAvailability.zookeeper", "of high-availability.zookeeper."),
    ],
)
def test_an_alias_of_a_managed_key_is_refused_naming_the_field_and_the_key(
    version: str, key: str, field: str, message: str
) -> None:
    found = problems(version, {key: "x"})
    assert f"flinkConfiguration.{key}" in found, found
    text, fix = found[f"flinkConfiguration.{key}"]
    assert message in text and "managed by pulumi-flink" in text
    assert f"set {field} instead" in fix


def test_a_name_only_other_releases_read_is_not_refused() -> None:
    # execution.state-recovery.path is 1.20's name; 1.17 neither reads nor manages it.
    assert "flinkConfiguration.execution.state-recovery.path" not in problems(
        "1.17", {"execution.state-recovery.path": "s3://b/sp"}
    )


def ha_values_of(version: str, config: dict[str, Any], **ha: Any) -> dict[str, Any]:
    spec = make_spec(flinkVersion=version, highAvailability={**ZK, **ha}, flinkConfiguration=config)
    return flink_values(spec)


@pytest.mark.parametrize(
    ("version", "user_key", "library_key"),
    [
        ("1.14", "state.backend.fs.checkpointdir", "state.checkpoints.dir"),
        ("1.17", "state.checkpoints.dir", "state.checkpoints.dir"),
        ("1.20", "state.checkpoints.dir", "execution.checkpointing.dir"),
        ("2.3", "state.savepoints.dir", "execution.checkpointing.savepoint-dir"),
        ("1.20", "savepoints.state.backend.fs.dir", "execution.checkpointing.savepoint-dir"),
        ("1.17", "restart-strategy", "restart-strategy.type"),
        ("2.3", "restart-strategy", "restart-strategy.type"),
        ("1.14", "restart-strategy", "restart-strategy"),
        (
            "1.20", "recovery.zookeeper.client.session-timeout",
            "high-availability.zookeeper.client.session-timeout",
        ),
        ("2.3", "jobmanager.execution.failover-strategy", "jobmanager.execution.failover-strategy"),
        ("1.17", "execution.checkpointing.interval", "execution.checkpointing.interval"),
        ("1.20", "zookeeper.sasl.disable", "zookeeper.sasl.disable"),
    ],
)
def test_the_users_value_wins_under_any_name_of_the_option(
    version: str, user_key: str, library_key: str
) -> None:
    values = ha_values_of(version, {user_key: "mine"})
    assert values[user_key] == "mine"
    if library_key != user_key:
        assert library_key not in values, "the library wrote its value beside the user's alias"
        assert library_key in ha_values_of(version, {}), "the library sets it when the user is silent"


def test_a_name_the_release_does_not_read_leaves_the_librarys_value() -> None:
    # 1.14 reads only restart-strategy: the user's restart-strategy.type would be ignored there.
    values = ha_values_of("1.14", {"restart-strategy.type": "fixed-delay"})
    assert values["restart-strategy"] == "exponential-delay"
    # The FAST_FAILOVER defaults stay when the user sets none of them.
    assert {k: values[k] for k in FAST_FAILOVER} == FAST_FAILOVER


@pytest.mark.parametrize(
    ("version", "key"),
    [
        ("1.14", "taskmanager.tmp.dirs"),
        ("1.20", "taskmanager.tmp.dirs"),
        ("2.3", "taskmanager.tmp.dirs"),
        ("1.20", "execution.checkpointing.local-backup.dirs"),
        ("2.3", "execution.checkpointing.local-backup.dirs"),
        ("1.17", "jobmanager.web.tmpdir"),
        ("1.20", "state.backend.rocksdb.checkpointdir"),
    ],
)
def test_local_directories_are_checked_under_every_name(version: str, key: str) -> None:
    assert key not in LOCAL_DIR_KEYS
    found = problems(version, {key: "/opt/flink/scratch"})
    assert f"flinkConfiguration.{key}" in found
    assert "not on a writable volume" in found[f"flinkConfiguration.{key}"][0]
    assert f"flinkConfiguration.{key}" not in problems(version, {key: "/tmp/scratch"})


def test_the_local_backup_dirs_are_a_local_directory_only_where_flink_reads_them() -> None:
    assert "execution.checkpointing.local-backup.dirs" in local_dir_names(FlinkVersion(1, 20))
    assert "execution.checkpointing.local-backup.dirs" not in local_dir_names(FlinkVersion(1, 17))


def _current(version: FlinkVersion, key: str) -> bool:
    option = version.options.option(key)
    return option is not None and option.key == key and not option.deprecated


@pytest.mark.parametrize("version", VERSIONS, ids=str)
def test_versions_keys_are_the_releases_own_keys(version: FlinkVersion) -> None:
    keys = [
        version.ha_type_key, version.restart_strategy_key, version.jvm_options_key, version.native_image_key,
        version.native_cpu_key("jobmanager"), version.native_cpu_key("taskmanager"),
        *version.checkpoint_dir_keys, *version.state_recovery_keys,
    ]
    assert all(_current(version, key) for key in keys), keys


def test_versions_keys_follow_each_rename() -> None:
    """A key that changes between neighbouring minors names the same option in both: the old
    name is a deprecated key of the new one."""
    expected = {
        "ha_type_key": ((1, 17), "high-availability", "high-availability.type"),
        "restart_strategy_key": ((1, 17), "restart-strategy", "restart-strategy.type"),
        "jvm_options_key": ((1, 17), "env.java.opts", "env.java.opts.all"),
        "native_image_key": ((1, 17), "kubernetes.container.image", "kubernetes.container.image.ref"),
    }
    for attribute, (since, old, new) in expected.items():
        for version in VERSIONS:
            want = new if version.minor_key >= since else old
            assert getattr(version, attribute) == want, (attribute, version)
            if version.minor_key >= since:
                assert old in version.options.names(new)
    for older, newer in itertools.pairwise(VERSIONS):
        for before, after in zip(
            (*older.checkpoint_dir_keys, *older.state_recovery_keys),
            (*newer.checkpoint_dir_keys, *newer.state_recovery_keys),
            strict=True,
        ):
            assert before in newer.options.names(after), (older, before, newer, after)


def test_every_name_the_library_uses_is_a_flink_option() -> None:
    """A typo in MANAGED_KEYS, LOCAL_DIR_KEYS or LIBRARY_DEFAULT_KEYS would name nothing."""
    known = set()
    for version in VERSIONS:
        for option in version.options.options:
            known |= {*option.names, *option.fallback_keys}
    names = {*MANAGED_KEYS, *LOCAL_DIR_KEYS, *LIBRARY_DEFAULT_KEYS, *RENAMED_OPTIONS}
    assert names <= known, sorted(names - known)


@pytest.mark.parametrize("version", VERSIONS, ids=str)
def test_every_key_the_library_writes_is_managed_or_yields(version: FlinkVersion) -> None:
    """What flink_values writes is either refused to the user (managed, or the Prometheus
    reporter's) or a default whose aliases the table knows (LIBRARY_DEFAULT_KEYS or a
    versions.py key), so the user's value under any alias replaces it."""
    from pulumi_flink.render.flink_config import PROMETHEUS_MANAGED_KEYS

    specs = [
        make_spec(flinkVersion=str(version), highAvailability=ZK, jvmOptions=["-Dx=1"]),
        make_spec(
            flinkVersion=str(version), highAvailability={"type": "kubernetes", "storageDir": "s3://b/ha"},
            native=True, mode="application", job={"jar": "local:///opt/flink/usrlib/job.jar", "savepoint": "s3://b/sp"},
        ),
    ]
    yields = LIBRARY_DEFAULT_KEYS | {version.restart_strategy_key, *version.checkpoint_dir_keys}
    for spec in specs:
        for key in flink_values(spec):
            assert key in managed_names(version) or key in PROMETHEUS_MANAGED_KEYS or key in yields, key


def _alias_cases() -> st.SearchStrategy[tuple[FlinkVersion, str]]:
    """A supported version and a name Flink reads one of its managed keys by."""
    cases = sorted(
        (version.minor_key, name)
        for version in VERSIONS
        for key in MANAGED_KEYS
        for name in version.options.overriding(key)
    )
    return st.sampled_from(cases).map(lambda case: (FlinkVersion(*case[0]), case[1]))


@fuzz_settings(60)
@given(case=_alias_cases(), value=st.sampled_from(["x", "1", "true"]))
def test_any_alias_of_any_managed_key_is_refused_at_its_path(
    case: tuple[FlinkVersion, str], value: str
) -> None:
    version, name = case
    found = problems(str(version), {name: value})
    message, fix = found[f"flinkConfiguration.{name}"]
    assert "managed by pulumi-flink" in message
    assert managed_names(version)[name].instead in fix


def test_the_table_covers_every_supported_minor() -> None:
    for version in VERSIONS:
        assert flink_options(version.minor_key).release.startswith(f"{version.major}.{version.minor}.")


# -- freshness: the committed table is what Flink's own classes say -----------------------------


@pytest.mark.flink
@pytest.mark.parametrize("release", ["1.20.3", "2.3.0"])
def test_the_committed_table_matches_the_local_distributions(release: str) -> None:
    """The generator's reflection, run on the local Flink distribution's own jars, gives the
    committed entry of that minor (the table may read a later patch: its own release number
    in defaults, such as the default image's tag, is put in place of the local one). Run
    ``python -m scripts.generators.flink_options --check`` for every minor (it downloads the jars)."""
    from tests.support.toolchain import flink_home

    home = flink_home(release)
    minor = ".".join(release.split(".")[:2])
    committed = json.loads((ROOT / generator.TARGET).read_text())
    entry = committed["versions"][minor]
    with tempfile.TemporaryDirectory(prefix="flink-options-") as work:
        reflected = generator.reflect([f"{home / 'lib'}{os.sep}*"], Path(work))
    local = generator.version_entry(entry["release"], entry["modules"], reflected, generator.library_names())
    text = json.dumps(local["options"], sort_keys=True).replace(release, entry["release"])
    # The 1.20 distribution ships no ForSt backend: its options are compared where it does.
    present = {option["class"].rsplit(".", 1)[1] for option in reflected["options"]}
    absent = {name.rsplit(".", 1)[1] for name in reflected["missing"]} - present
    expected = {
        key: option for key, option in entry["options"].items()
        if not all(where.split(".")[0] in absent for where in option["declaredIn"])
    }
    assert json.loads(text) == expected
    assert len(expected) >= len(entry["options"]) - 1


def test_the_committed_table_is_in_the_generators_own_format() -> None:
    """Offline half of ``--check``: the committed file is what the generator writes from the
    entries it holds (its header names the command that regenerates it)."""
    text = (ROOT / generator.TARGET).read_text()
    assert generator.render(json.loads(text)["versions"]) == text
    assert generator.COMMAND in text.splitlines()[1]
