"""Flink configuration rendering, per version: pure functions, no Pulumi."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from pulumi_flink.model.versions import FlinkVersion
from pulumi_flink.render.flink_config import (
    LOG4J_CLI_FILE,
    LOG4J_CONSOLE_FILE,
    SpecText,
    config_entries,
    config_text_refusal,
    java_module_options,
    render_config,
    render_flink_conf_yaml,
)
from pulumi_flink.spec.errors import FlinkSpecError
from pulumi_flink.validation import check_cluster
from tests.support.rendering import make_spec, render_specs


def parse_flat(text: str) -> dict[str, str]:
    """Read flink-conf.yaml the way Flink's legacy parser does: split at the first ': '."""
    pairs = (line.split(": ", 1) for line in text.splitlines() if line and not line.startswith("#"))
    return {key: value for key, value in pairs}


def test_session_cluster_values() -> None:
    spec = make_spec(taskManager={"slots": 3, "replicas": 2, "memory": "2Gi"}, parallelism=4)
    values = render_config(spec).values
    assert values["jobmanager.rpc.address"] == "analytics-jobmanager"
    assert values["rest.address"] == "analytics-rest"
    assert values["taskmanager.numberOfTaskSlots"] == 3
    assert values["parallelism.default"] == 4
    assert values["taskmanager.memory.process.size"] == "2048m"
    assert values["jobmanager.memory.process.size"] == "1600m"
    assert values["jobmanager.bind-host"] == values["taskmanager.bind-host"] == "0.0.0.0"
    assert values["rest.bind-address"] == "0.0.0.0"
    assert (values["jobmanager.rpc.port"], values["blob.server.port"], values["rest.port"]) == (
        6123,
        6124,
        8081,
    )
    assert (values["taskmanager.rpc.port"], values["taskmanager.data.port"]) == (6122, 6121)


def test_ports_follow_the_spec() -> None:
    values = render_config(make_spec(ports={"rpc": 7123, "rest": 9081, "taskManagerData": 7121})).values
    assert (values["jobmanager.rpc.port"], values["rest.port"], values["taskmanager.data.port"]) == (
        7123,
        9081,
        7121,
    )


def test_flink_1x_gets_flat_flink_conf_yaml() -> None:
    rendered = render_config(
        make_spec(
            flinkVersion="1.18",
            flinkConfiguration={"state.backend.type": "rocksdb", "pipeline.object-reuse": True},
        )
    )
    assert rendered.file_name == "flink-conf.yaml"
    assert set(rendered.files) == {"flink-conf.yaml", LOG4J_CONSOLE_FILE, LOG4J_CLI_FILE}
    flat = parse_flat(rendered.files["flink-conf.yaml"])
    assert flat["state.backend.type"] == "rocksdb"
    assert flat["pipeline.object-reuse"] == "true"
    assert flat["taskmanager.numberOfTaskSlots"] == "1"
    assert flat == {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in rendered.values.items()}


def test_flink_2x_gets_standard_yaml_config() -> None:
    rendered = render_config(
        make_spec(flinkVersion="2.3", flinkConfiguration={"pipeline.object-reuse": True})
    )
    assert rendered.file_name == "config.yaml"
    loaded = yaml.safe_load(rendered.files["config.yaml"])
    assert loaded == dict(rendered.values)
    assert loaded["pipeline.object-reuse"] is True
    assert loaded["taskmanager.numberOfTaskSlots"] == 1


def test_flink_1_19_and_1_20_use_config_yaml_when_asked() -> None:
    for version in ("1.19", "1.20"):
        assert render_config(make_spec(flinkVersion=version)).file_name == "flink-conf.yaml"
        rendered = render_config(make_spec(flinkVersion=version, configFile="config.yaml"))
        assert set(rendered.files) == {"config.yaml", LOG4J_CONSOLE_FILE, LOG4J_CLI_FILE}


def test_java17_module_options_follow_the_version() -> None:
    assert java_module_options(FlinkVersion.parse("1.17")) == ()
    opts_118 = java_module_options(FlinkVersion.parse("1.18"))
    opts_21 = java_module_options(FlinkVersion.parse("2.1"))
    assert "--add-opens=java.base/java.util=ALL-UNNAMED" in opts_118
    assert "--add-exports=java.base/sun.net.util=ALL-UNNAMED" in opts_118
    assert "--add-exports=java.base/sun.net.util=ALL-UNNAMED" not in opts_21
    assert set(opts_21) < set(opts_118)


def test_jvm_options_key_and_user_options() -> None:
    old = render_config(make_spec(flinkVersion="1.16", jvmOptions=["-XX:+UseG1GC"])).values
    assert old["env.java.opts"] == "-XX:+UseG1GC"
    assert "env.java.opts.all" not in old
    new = render_config(make_spec(flinkVersion="1.20", jvmOptions=["-XX:+UseG1GC"])).values
    assert str(new["env.java.opts.all"]).endswith(" -XX:+UseG1GC")
    assert str(new["env.java.opts.all"]).startswith("--add-exports=")
    assert "env.java.opts" not in render_config(make_spec(flinkVersion="1.16")).values


def test_extra_configuration_passes_through_and_output_is_sorted() -> None:
    values = render_config(make_spec(flinkConfiguration={"zz.last": "1", "aa.first": 2})).values
    assert values["zz.last"] == "1" and values["aa.first"] == 2
    assert list(values) == sorted(values)


def test_log4j_logs_to_the_console_only() -> None:
    text = render_config(make_spec()).files[LOG4J_CONSOLE_FILE]
    assert "rootLogger.appenderRef.console.ref = ConsoleAppender" in text
    assert "appender.console.type = CONSOLE" in text
    assert "RollingFile" not in text


def test_checksum_changes_with_any_file_and_only_then() -> None:
    base = render_config(make_spec())
    assert base.checksum == render_config(make_spec()).checksum
    assert base.checksum != render_config(make_spec(parallelism=2)).checksum
    assert base.checksum != render_config(make_spec(flinkConfiguration={"a.b": "c"})).checksum
    # Replicas are not in the Flink configuration: the pods must not roll for them.
    assert base.checksum == render_config(make_spec(taskManager={"replicas": 5})).checksum


def test_flat_writer_formats_values() -> None:
    assert render_flink_conf_yaml({"a": True, "b": 1.5, "c": "x y"}) == "a: true\nb: 1.5\nc: x y\n"


def test_the_cli_logs_to_the_console_in_standalone_pods_only() -> None:
    """bin/flink reads log4j-cli.properties (per-job's client, `flink list` in a pod); native
    mode ships exactly the files Flink's own client ships."""
    files = render_config(make_spec()).files
    assert files[LOG4J_CLI_FILE] == files[LOG4J_CONSOLE_FILE]
    assert LOG4J_CLI_FILE not in render_config(make_spec(native=True)).files


# --- values that would change meaning in the config file (validation.config.check_config_text) ------

NATIVE_HA_APP = {
    "flinkVersion": "1.20.3", "mode": "application", "native": True,
    "job": {"jar": "local:///opt/flink/usrlib/job.jar"},
    "highAvailability": {"type": "kubernetes", "storageDir": "s3://b/flink"},
}


def config_text_paths(**overrides: Any) -> list[str]:
    """The paths refused, once each: by the spec's own field checks or across fields."""
    try:
        spec = make_spec(**{**NATIVE_HA_APP, **overrides})
    except FlinkSpecError as refused:
        return list(dict.fromkeys(refused.paths))
    return list(dict.fromkeys(p.path for p in check_cluster(spec)))


@pytest.mark.parametrize(
    ("path", "overrides"),
    [
        # '#' cut the HA, checkpoint and savepoint directories to s3://b/f.
        ("highAvailability.storageDir", {"highAvailability": {"type": "kubernetes", "storageDir": "s3://b/f#x"}}),
        # A line break injected a key of its own, here a managed one.
        ("job.args[1]", {"job": {**NATIVE_HA_APP["job"], "args": ["a", "x\nkubernetes.namespace: evil"]}}),
        ("job.savepoint", {"job": {**NATIVE_HA_APP["job"], "savepoint": "s3://b/sp#1"}}),
        ("flinkConfiguration.a#b", {"flinkConfiguration": {"a#b": "1"}}),
        ("flinkConfiguration.a.b", {"flinkConfiguration": {"a.b": ""}}),
        ("flinkConfiguration.a.b", {"flinkConfiguration": {"a.b": "\x01x"}}),
        ("job.args[0]", {"job": {**NATIVE_HA_APP["job"], "args": ["é"]}}),
    ],
)
def test_flink_conf_yaml_refuses_what_its_parser_would_change_and_config_yaml_carries_it(
    path: str, overrides: dict[str, Any]
) -> None:
    assert config_text_paths(**overrides) == [path]
    # A line break is refused in any file: the field holds one line (spec.py).
    spans_lines = "\\n" in repr(overrides)
    assert config_text_paths(configFile="config.yaml", **overrides) == ([path] if spans_lines else [])


@pytest.mark.parametrize(
    ("option", "refused"),
    [
        ("-XX:+UseG1GC", False),
        ("-Xlog:gc*:file=/tmp/gc.log", False),
        ("-XX:ErrorFile=/tmp/hs_err_pid%p.log", False),
        ("-Dx=a b", True),  # two options to the JVM
        ("-Dx=a\n-Dy=b", True),
        ("-Dpassword=pa$$word", True),  # the start scripts' eval: $$ is a process id
        ("-Dx='a'", True),
        ("-Dx={a,b}", True),  # brace expansion: two words
        ("-Dé=1", True),
        ("com.example.Main", True),  # not an option: the JVM would take it for the main class
        ("", True),
    ],
)
def test_jvm_options_are_one_option_the_start_scripts_pass_on_unchanged(option: str, refused: bool) -> None:
    for config_file in ("flink-conf.yaml", "config.yaml"):
        expected = ["jvmOptions[1]"] if refused else []
        assert config_text_paths(configFile=config_file, jvmOptions=["-XX:+A", option]) == expected


def test_a_jar_path_with_a_semicolon_is_refused_as_pipeline_jars_is_a_list() -> None:
    job = {"jar": "local:///opt/flink/usrlib/a;b.jar"}
    for config_file in ("flink-conf.yaml", "config.yaml"):
        assert config_text_paths(configFile=config_file, job=job) == ["job.jar"]


def test_the_config_yaml_fix_is_offered_only_where_flink_reads_config_yaml() -> None:
    storage = {"type": "kubernetes", "storageDir": "s3://b/f#x"}
    spec = {**NATIVE_HA_APP, "highAvailability": storage}
    (on_120,) = check_cluster(make_spec(**spec))
    (on_118,) = check_cluster(make_spec(**{**spec, "flinkVersion": "1.18.1"}))
    assert "configFile: config.yaml" in on_120.fix
    assert "configFile" not in on_118.fix and "'#'" in on_118.message


def test_a_refused_value_stops_the_render_before_anything_is_registered() -> None:
    storage = {"type": "kubernetes", "storageDir": "s3://b/f#x"}
    with pytest.raises(FlinkSpecError) as info:
        render_specs(make_spec(**{**NATIVE_HA_APP, "highAvailability": storage}))
    assert info.value.paths == ["highAvailability.storageDir"]


def test_list_items_flinks_splitter_would_trim_or_drop_are_quoted() -> None:
    values = {"args": ("", " lead", "trail ", "plain", "in side")}
    assert render_flink_conf_yaml(values) == "args: '';' lead';'trail ';plain;in side\n"


def test_every_spec_text_in_the_config_names_its_field() -> None:
    spec = make_spec(**{**NATIVE_HA_APP, "jvmOptions": ["-XX:+A"], "flinkConfiguration": {"k.v": "x"},
                        "job": {**NATIVE_HA_APP["job"], "args": ["a"], "entryClass": "a.B", "savepoint": "s3://sp"}})
    paths = {text.path for text in config_entries(spec).texts}
    assert paths == {
        "highAvailability.storageDir", "jvmOptions[0]", "flinkConfiguration.k.v", "job.args[0]",
        "job.entryClass", "job.savepoint", "job.jar",
    }


# --- one rule for line breaks (model.text.spans_lines), at both of its entry points ------------


@pytest.mark.parametrize("config_file", ["flink-conf.yaml", "config.yaml"])
@pytest.mark.parametrize("value", ["x\ny", "x\r\ny", "x\r", "\nkubernetes.namespace: evil"])
def test_a_config_value_over_lines_is_refused_at_its_key_by_the_spec(config_file: str, value: str) -> None:
    with pytest.raises(FlinkSpecError) as info:
        make_spec(configFile=config_file, flinkConfiguration={"a.b": value, "c.d": "fine", "e.f": 1})
    (problem,) = info.value.problems
    assert problem.path == "flinkConfiguration.a.b"
    assert problem.message == "the value of 'a.b' spans lines." and problem.fix == "write it on one line"


@pytest.mark.parametrize("config_file", ["flink-conf.yaml", "config.yaml"])
def test_the_config_text_check_refuses_line_breaks_in_every_file(config_file: str) -> None:
    """Text that reaches the file unchecked by the spec (here a copy made without validation)
    is refused by the config text check, with the same fix, and no config.yaml hint: the rule
    holds for every file."""
    for role in ("key", "value", "list item"):
        refusal = config_text_refusal(SpecText("x", "a\nb", role), config_file)  # type: ignore[arg-type]
        assert refusal is not None and refusal.fix == "write it on one line" and not refusal.flink_conf_only
    spec = make_spec(configFile=config_file)
    unchecked = spec.model_copy(update={"flink_configuration": {"a.b": "x\ny"}})
    (problem,) = check_cluster(unchecked)
    assert problem.path == "flinkConfiguration.a.b" and problem.fix == "write it on one line"
    assert "spans lines" in problem.message
