"""Flink configuration rendering, per version: pure functions, no Pulumi."""

from __future__ import annotations

import yaml

from pulumi_flink.flink_config import (
    LOG4J_CLI_FILE,
    LOG4J_CONSOLE_FILE,
    java_module_options,
    render_config,
    render_flink_conf_yaml,
)
from pulumi_flink.versions import FlinkVersion
from tests.conftest import make_spec


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
