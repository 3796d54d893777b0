"""Every piece of spec text the library writes into a Flink config file, fuzzed: Flink's own
parser reads back exactly what was asked, or validation refused the spec at that field.

For each Flink release and file format (1.20 ``flink-conf.yaml``, 1.20 ``config.yaml``,
2.3 ``config.yaml``), hypothesis draws batches of hostile texts ('#', ': ', line breaks,
quotes, ';', YAML indicators, control characters, unicode, ...). Each text goes into one
field of an otherwise plain native application spec (its HA storageDir, a job argument, a
JVM option, a flinkConfiguration key, ...). A spec the library refuses must be refused at
that field; every accepted one is rendered, and all of a batch are loaded in ONE JVM with
``GlobalConfiguration.loadConfiguration`` (tests/java/ConfigRoundTrip.java): the field's
keys must read back as meant, and no key may appear or vanish. The accepted JVM options of
a batch also go, together, through Flink's start scripts (config.sh, then flink-console.sh's
``eval echo`` and word splitting), which must hand the JVM exactly those options.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from pulumi_flink.render.flink_config import RenderedConfig, java_module_options, render_config
from pulumi_flink.spec import FlinkClusterSpec
from pulumi_flink.spec.errors import FlinkSpecError
from pulumi_flink.validation import check_cluster
from tests.support.fuzz import fuzz_settings
from tests.support.toolchain import Java, JavaBuild, flink_versions, jvm_words, run_config_round_trip

pytestmark = pytest.mark.flink

V120, V23 = flink_versions()
VARIANTS = [
    pytest.param(V120, "flink-conf.yaml", id="1.20-flink-conf.yaml"),
    pytest.param(V120, "config.yaml", id="1.20-config.yaml"),
    pytest.param(V23, "config.yaml", id="2.3-config.yaml"),
]
BATCH = 100
"""Hostile texts drawn per hypothesis example, on top of WHOLE; each goes into every field below."""
BATCHES = 2
"""Hypothesis examples per variant: one JVM for the configs and one start-script run each."""

JAR = "local:///opt/flink/usrlib/job.jar"
PLAIN_JVM_OPTION = "-XX:+UseG1GC"
JVM_OPTION_PREFIX = "-Dprobe="
LIST_KEYS = ["pipeline.jars", "$internal.application.program-args"]


def base_spec(version: str, config_file: str) -> dict[str, Any]:
    return {
        "name": "rt",
        "flinkVersion": version,
        "configFile": config_file,
        "mode": "application",
        "native": True,
        "job": {"jar": JAR},
        "highAvailability": {"type": "kubernetes", "storageDir": "s3://bucket/flink"},
    }


Read = Mapping[str, Any]
"""What Flink read from one conf dir: {"strings": {key: value}, "lists": {key: [items]}}."""


@dataclass(frozen=True)
class Field:
    """A spec field whose text lands in the config file."""

    path: str
    """Where a refusal must point (``<key>``: the hostile text)."""
    spec: Callable[[dict[str, Any], str], None]
    """Puts a hostile text into a base spec."""
    meant: Callable[[FlinkClusterSpec, str], object]
    """What Flink must read, for the text."""
    read: Callable[[FlinkClusterSpec, Read], object]
    """What Flink did read."""
    parse_path: str | None = None
    """The spec's own parse-time check of this field names its parent (flinkConfiguration),
    with the key in the message."""


def _job(**fields: Any) -> Callable[[dict[str, Any], str], None]:
    def put(spec: dict[str, Any], text: str) -> None:
        spec["job"] = {"jar": JAR, **{k: f(text) for k, f in fields.items()}}

    return put


def _storage_dir(text: str) -> str:
    return "s3://bucket/" + text


def _storage_meant(spec: FlinkClusterSpec, text: str) -> object:
    base = _storage_dir(text).rstrip("/")
    return (f"{base}/ha", f"{base}/checkpoints", f"{base}/savepoints")


def _storage_read(spec: FlinkClusterSpec, read: Read) -> object:
    checkpoints, savepoints = spec.version.checkpoint_dir_keys
    strings = read["strings"]
    return (strings.get("high-availability.storageDir"), strings.get(checkpoints), strings.get(savepoints))


def _jvm_options(spec: FlinkClusterSpec) -> list[str]:
    return [*java_module_options(spec.version), *spec.jvm_options]


FIELDS = [
    Field(
        "highAvailability.storageDir",
        lambda s, t: s["highAvailability"].update(storageDir=_storage_dir(t)),
        _storage_meant,
        _storage_read,
    ),
    Field(
        "highAvailability.pathRoot",
        lambda s, t: s.update(highAvailability={
            "type": "zookeeper", "storageDir": "s3://bucket/flink", "pathRoot": "/" + t,
            "zookeeper": {"existingQuorum": "zk-0.zk:2181"},
        }),
        lambda spec, t: "/" + t,
        lambda spec, read: read["strings"].get("high-availability.zookeeper.path.root"),
    ),
    Field(
        "job.savepoint",
        _job(savepoint=lambda t: t),
        lambda spec, t: t,
        lambda spec, read: read["strings"].get(spec.version.state_recovery_keys[0]),
    ),
    Field(
        "job.entryClass",
        _job(entryClass=lambda t: "com.example." + t),
        lambda spec, t: "com.example." + t,
        lambda spec, read: read["strings"].get("$internal.application.main"),
    ),
    Field(
        "job.args[1]",
        _job(args=lambda t: ["--plain", t]),
        lambda spec, t: ["--plain", t],
        lambda spec, read: read["lists"].get("$internal.application.program-args"),
    ),
    Field(
        "job.jar",
        _job(jar=lambda t: f"local:///opt/flink/usrlib/{t}.jar"),
        lambda spec, t: [f"local:///opt/flink/usrlib/{t}.jar"],
        lambda spec, read: read["lists"].get("pipeline.jars"),
    ),
    Field(
        "image",
        lambda s, t: s.update(image="registry.example.com/flink:" + t),
        lambda spec, t: "registry.example.com/flink:" + t,
        lambda spec, read: read["strings"].get(spec.version.native_image_key),
    ),
    Field(
        "jvmOptions[1]",
        lambda s, t: s.update(jvmOptions=[PLAIN_JVM_OPTION, JVM_OPTION_PREFIX + t]),
        lambda spec, t: " ".join(_jvm_options(spec)),
        lambda spec, read: read["strings"].get(spec.version.jvm_options_key),
    ),
    Field(
        "flinkConfiguration.test.value",
        lambda s, t: s.update(flinkConfiguration={"test.value": t}),
        lambda spec, t: t,
        lambda spec, read: read["strings"].get("test.value"),
        parse_path="flinkConfiguration",
    ),
    Field(
        "flinkConfiguration.test.<key>",
        lambda s, t: s.update(flinkConfiguration={"test." + t: "x"}),
        lambda spec, t: "x",
        lambda spec, read: read["strings"].get(next(iter(spec.flink_configuration))),
        parse_path="flinkConfiguration",
    ),
]


# --- hostile text ------------------------------------------------------------------------------

# What changes meaning somewhere: flink-conf.yaml's line parser, Flink's list syntax, YAML
# 1.2 (indicators, plain scalars of other types), the shell the start scripts evaluate in.
SPECIAL = [
    "#", " #", ": ", ":", ";", "'", '"', "\\", " ", "\t", "\n", "\r", "\r\n", "-", "- ", "?", "? ",
    "|", ">", "*", "&", "!", "%", "@", "`", "{", "}", "[", "]", ",", "=", "~", "^", "$", "$HOME",
    "${X}", "$(id)", "(", ")", "<", ">", "&&", "||", "\x00", "\x01", "\x0b", "\x0c", "\x1f", "\x7f",
    "\x85", "\xa0", "\u2028", "\u2029", "\ufeff", "\u3000", "é", "日本", "😀", "'' ", "---", "...",
]
WORDS = ["a", "b1", "x.y", "-Dk=v", "-XX:+A", "s3://b/p", "/opt/x", "0", "1e5", ".5", "0o17", "0x1F",
         "true", "yes", "null", "~", ".inf", ".nan", "Infinity", "2001-12-14", "=", "<<"]
# Known troublemakers, in every batch whole (drawn, they would be rare).
WHOLE = ["", " ", "  a", "a  ", "null", "~", "true", "False", "1", "-1.5", "1e5", "0o17", "0x1f", ".inf",
         "-.inf", ".NaN", "#a", "a#b", "a # b", "a: b", "- a", "? a", "*a", "&a", "!a", "%a", "@a", "`a",
         "{a}", "[a]", "|", ">", "'a'", '"a"', "a;b", ";", "';'", "''", "a'b", "-Da=b c", "-Dx=$HOME",
         "-Xlog:gc*", "-XX:ErrorFile=/tmp/hs_err_pid%p.log", "-Da=#b", "x\nkubernetes.namespace: evil"]


def hostile_texts() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(WHOLE),
        st.lists(st.sampled_from(SPECIAL + WORDS), min_size=1, max_size=6).map("".join),
        st.text(max_size=10),
        st.text(alphabet=st.characters(codec="ascii"), max_size=10),
    )


# --- one batch ----------------------------------------------------------------------------------

@dataclass
class Tally:
    refused: Counter[str]
    read_back: Counter[str]


@dataclass(frozen=True)
class Accepted:
    field: Field
    text: str
    spec: FlinkClusterSpec
    rendered: RenderedConfig


def refusal_paths(data: dict[str, Any]) -> tuple[FlinkClusterSpec | None, list[str], bool]:
    """The parsed spec, the paths of its problems, and whether parsing itself refused it."""
    try:
        spec = FlinkClusterSpec.parse(data)
    except FlinkSpecError as exc:
        return None, exc.paths, True
    return spec, [p.path for p in check_cluster(spec)], False


def check_batch(
    java: Java, build: JavaBuild, version: str, config_file: str, texts: list[str], tally: Tally
) -> None:
    work = Path(tempfile.mkdtemp(prefix="round-trip-", dir=build.root))
    accepted: list[Accepted] = []
    for field in FIELDS:
        for text in texts:
            data = base_spec(version, config_file)
            field.spec(data, text)
            spec, paths, at_parse = refusal_paths(data)
            expected = field.path.replace("<key>", text)
            if paths:
                allowed = {expected} | ({field.parse_path} if at_parse and field.parse_path else set())
                assert set(paths) <= allowed, (field.path, text, paths)
                tally.refused[field.path] += 1
                continue
            assert spec is not None
            rendered = render_config(spec)
            accepted.append(Accepted(field, text, spec, rendered))
    dirs = []
    for index, item in enumerate(accepted):
        directory = work / f"conf-{index}"
        directory.mkdir()
        for name, content in item.rendered.files.items():
            (directory / name).write_text(content, encoding="utf-8")
        dirs.append(directory)
    results = run_config_round_trip(java, build, dirs, LIST_KEYS, work)
    for item, read in zip(accepted, results, strict=True):
        where = (item.field.path, item.text)
        assert "loadError" not in read, (*where, read["loadError"])
        assert read["readFile"] == config_file, where
        assert set(read["strings"]) == set(item.rendered.values), (*where, "keys appeared or vanished")
        assert item.field.read(item.spec, read) == item.field.meant(item.spec, item.text), where
        tally.read_back[item.field.path] += 1
    jvm_options = [a for a in accepted if a.field.path == "jvmOptions[1]"]
    check_jvm_options(java, version, config_file, jvm_options, work)


def check_jvm_options(
    java: Java, version: str, config_file: str, accepted: list[Accepted], work: Path
) -> None:
    """All accepted JVM options of the batch, in one spec, through the start scripts."""
    options = [PLAIN_JVM_OPTION, *dict.fromkeys(JVM_OPTION_PREFIX + a.text for a in accepted)]
    data = {**base_spec(version, config_file), "jvmOptions": options}
    spec = FlinkClusterSpec.parse(data)
    assert not check_cluster(spec)
    directory = work / "jvm-options"
    directory.mkdir()
    for name, content in render_config(spec).files.items():
        (directory / name).write_text(content, encoding="utf-8")
    words = jvm_words(java, version, directory)
    assert words[0] == "-XX:+IgnoreUnrecognizedVMOptions", words
    if words[-1] == "-Djava.security.manager=allow":  # the scripts' own, on Java 18+
        words = words[:-1]
    assert words[1:] == _jvm_options(spec)


@pytest.mark.parametrize(("version", "config_file"), VARIANTS)
def test_flink_reads_back_every_text_the_library_accepts(
    java: Java, java_build: Callable[[str], JavaBuild], version: str, config_file: str
) -> None:
    build = java_build(version)
    tally = Tally(Counter(), Counter())

    # No shrinking: every step would start Java again; a failure names its field and text.
    @settings(fuzz_settings(BATCHES), phases=[Phase.explicit, Phase.generate])
    @given(texts=st.lists(hostile_texts(), min_size=BATCH, max_size=BATCH))
    def batch(texts: list[str]) -> None:
        check_batch(java, build, version, config_file, [*WHOLE, *texts], tally)

    batch()
    print(f"\n{version} {config_file}: per field, read back exactly / refused at the field")
    for field in FIELDS:
        print(f"  {field.path}: {tally.read_back[field.path]} / {tally.refused[field.path]}")
    # The fuzz reached both outcomes for the fields every format limits.
    assert tally.read_back["jvmOptions[1]"] and tally.refused["jvmOptions[1]"]
    assert all(tally.read_back[f.path] for f in FIELDS), tally.read_back

