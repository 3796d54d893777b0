"""Generate ``components/pulumi_flink/model/flink_options.json``: the configuration options the
library manages or checks, as each supported Flink release declares them.

    python -m scripts.generators.flink_options            # rewrite the file
    python -m scripts.generators.flink_options --check    # exit 1 if it is stale

For every minor in ``versions.SUPPORTED_MINORS`` this takes the release in ``RELEASES``
(the newest patch on Maven Central when written), fetches its jars from Maven Central
into ``~/.cache/pulumi-flink/maven/<group>/<artifact>/<version>/`` (outside the checkout;
a jar once fetched is not fetched again), compiles ``FlinkOptions.java`` (next to this file) against
them with ``javac`` and runs it: Java reflection over the public static ``ConfigOption``
fields of ``OPTION_CLASSES``, giving each option's key, its fallback keys (deprecated or
not) and its default. Only the options that carry a name the library uses are kept
(``library_names``): the managed keys, the local directories, the keys it sets.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pulumi_flink.model.versions import RENAMED_OPTIONS, SUPPORTED_MINORS
from pulumi_flink.render.flink_config import LIBRARY_DEFAULT_KEYS, LOCAL_DIR_KEYS, MANAGED_KEYS
from scripts.generators.output import parser, target_path, write_or_check

TARGET = Path("components/pulumi_flink/model/flink_options.json")
"""The file this writes, relative to the repository root."""
JAVA_SOURCE = Path(__file__).resolve().parent / "FlinkOptions.java"
COMMAND = ".venv/bin/python -m scripts.generators.flink_options"
MAVEN = "https://repo1.maven.org/maven2"
CACHE = Path.home() / ".cache" / "pulumi-flink" / "maven"
JAVA_RELEASE = "17"

# The release read for each supported minor: its newest patch on Maven Central (checked
# against maven-metadata.xml of flink-core when generating; a newer one is reported).
RELEASES: dict[tuple[int, int], str] = {
    (1, 14): "1.14.6",
    (1, 15): "1.15.4",
    (1, 16): "1.16.3",
    (1, 17): "1.17.2",
    (1, 18): "1.18.1",
    (1, 19): "1.19.3",
    (1, 20): "1.20.5",
    (2, 0): "2.0.2",
    (2, 1): "2.1.3",
    (2, 2): "2.2.1",
    (2, 3): "2.3.0",
}
# Where the options live (each in some releases only; a missing class is skipped).
OPTION_CLASSES = (
    "org.apache.flink.configuration.BlobServerOptions",
    "org.apache.flink.configuration.CheckpointingOptions",
    "org.apache.flink.configuration.ClusterOptions",
    "org.apache.flink.configuration.CoreOptions",
    "org.apache.flink.configuration.DeploymentOptions",
    "org.apache.flink.configuration.HeartbeatManagerOptions",
    "org.apache.flink.configuration.HighAvailabilityOptions",
    "org.apache.flink.configuration.JobManagerOptions",
    "org.apache.flink.configuration.NettyShuffleEnvironmentOptions",
    "org.apache.flink.configuration.PipelineOptions",
    "org.apache.flink.configuration.PipelineOptionsInternal",
    "org.apache.flink.configuration.RestartStrategyOptions",
    "org.apache.flink.configuration.RestOptions",
    "org.apache.flink.configuration.SecurityOptions",
    "org.apache.flink.configuration.StateBackendOptions",
    "org.apache.flink.configuration.StateRecoveryOptions",
    "org.apache.flink.configuration.TaskManagerOptions",
    "org.apache.flink.configuration.WebOptions",
    "org.apache.flink.runtime.jobgraph.SavepointConfigOptions",
    "org.apache.flink.streaming.api.environment.ExecutionCheckpointingOptions",
    "org.apache.flink.client.deployment.application.ApplicationConfiguration",
    "org.apache.flink.kubernetes.configuration.KubernetesConfigOptions",
    "org.apache.flink.kubernetes.configuration.KubernetesHighAvailabilityOptions",
    "org.apache.flink.contrib.streaming.state.RocksDBOptions",
    "org.apache.flink.contrib.streaming.state.RocksDBConfigurableOptions",
    "org.apache.flink.state.rocksdb.RocksDBOptions",
    "org.apache.flink.state.rocksdb.RocksDBConfigurableOptions",
    "org.apache.flink.state.forst.ForStOptions",
)
FLINK_GROUP = "org.apache.flink"
# The Flink modules declaring OPTION_CLASSES (1.14 publishes some with a Scala suffix; a
# module a release lacks is skipped), and the native libraries whose classes the RocksDB and
# ForSt options name (their version read from the module's pom).
FLINK_ARTIFACTS = (
    "flink-core",
    "flink-core-api",
    "flink-runtime",
    "flink-clients",
    "flink-streaming-java",
    "flink-kubernetes",
    "flink-statebackend-rocksdb",
    "flink-statebackend-forst",
)
SCALA_SUFFIX = "_2.12"
NATIVE_DEPENDENCIES = {
    "flink-statebackend-rocksdb": ("com.ververica", "frocksdbjni"),
    "flink-statebackend-forst": ("com.ververica", "forstjni"),
}

# What the option classes' static initialisers and Flink's value formatting call besides
# Flink (any version of these serves): the default image's tag comes from
# EnvironmentInformation, which logs; 1.19+ writes values as YAML; RestartStrategyOptions
# builds its sets with commons-compress.
SUPPORT_JARS = (
    ("org.slf4j", "slf4j-api", "1.7.36"),
    ("org.slf4j", "slf4j-nop", "1.7.36"),
    ("org.snakeyaml", "snakeyaml-engine", "2.6"),
    ("org.apache.commons", "commons-compress", "1.26.2"),
)


class OptionsError(RuntimeError):
    pass


def _get(url: str) -> bytes | None:
    """The body at ``url``, or None on 404."""
    try:
        with urllib.request.urlopen(url, timeout=120) as response:
            body: bytes = response.read()
            return body
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise


def maven_file(group: str, artifact: str, version: str, extension: str) -> Path:
    """The artifact's file in the cache, fetched from Maven Central when absent."""
    directory = CACHE / group / artifact / version
    path = directory / f"{artifact}-{version}.{extension}"
    if path.exists():
        return path
    url = f"{MAVEN}/{group.replace('.', '/')}/{artifact}/{version}/{path.name}"
    print(f"fetching {url}", file=sys.stderr)
    body = _get(url)
    if body is None:
        raise OptionsError(f"{url} is not on Maven Central")
    directory.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    partial.write_bytes(body)
    partial.replace(path)
    return path


def _pom_dependency_version(pom: Path, group: str, artifact: str) -> str | None:
    text = pom.read_text()
    for block in re.findall(r"<dependency>(.*?)</dependency>", text, re.S):
        if f"<groupId>{group}</groupId>" in block and f"<artifactId>{artifact}</artifactId>" in block:
            match = re.search(r"<version>([^<$]+)</version>", block)
            if match:
                return match.group(1).strip()
    return None


_RELEASE = re.compile(r"<version>(\d+)\.(\d+)\.(\d+)</version>")


def _patches(body: bytes) -> list[tuple[int, int, int]]:
    return sorted((int(a), int(b), int(c)) for a, b, c in _RELEASE.findall(body.decode()))


def published_versions(group: str, artifact: str) -> list[tuple[int, int, int]]:
    """The releases of an artifact on Maven Central (its maven-metadata.xml, cached)."""
    path = CACHE / group / artifact / "maven-metadata.xml"
    if not path.exists():
        body = _get(f"{MAVEN}/{group.replace('.', '/')}/{artifact}/maven-metadata.xml")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body or b"")
    return _patches(path.read_bytes())


def _release_tuple(release: str) -> tuple[int, int, int]:
    major, minor, patch = (int(part) for part in release.split("."))
    return major, minor, patch


def release_jars(release: str) -> tuple[list[Path], dict[str, str]]:
    """The jars of ``release`` that declare OPTION_CLASSES, with what their static
    initialisers load; and which version of each Flink module was read. Flink does not
    publish every module for every patch (flink-kubernetes has no 1.20.5): a module missing
    from the release is read at the newest earlier patch of the same minor."""
    wanted = _release_tuple(release)
    jars: list[Path] = []
    modules: dict[str, str] = {}
    for module in FLINK_ARTIFACTS:
        for artifact in (module, module + SCALA_SUFFIX):
            published = published_versions(FLINK_GROUP, artifact)
            patches = [v for v in published if v[:2] == wanted[:2] and v <= wanted]
            if not patches:
                continue
            version = ".".join(str(part) for part in patches[-1])
            jars.append(maven_file(FLINK_GROUP, artifact, version, "jar"))
            modules[artifact] = version
            if module in NATIVE_DEPENDENCIES:
                group, native = NATIVE_DEPENDENCIES[module]
                pom = maven_file(FLINK_GROUP, artifact, version, "pom")
                native_version = _pom_dependency_version(pom, group, native)
                if native_version is None:
                    raise OptionsError(f"{artifact} {version}: no {group}:{native} version in its pom")
                jars.append(maven_file(group, native, native_version, "jar"))
            break
    if "flink-core" not in modules:
        raise OptionsError(f"Flink {release} is not on Maven Central")
    jars += [maven_file(group, artifact, version, "jar") for group, artifact, version in SUPPORT_JARS]
    return jars, modules


def newest_releases() -> dict[tuple[int, int], str]:
    """The newest patch of each minor on Maven Central (flink-core's metadata)."""
    body = _get(f"{MAVEN}/org/apache/flink/flink-core/maven-metadata.xml") or b""
    return {(major, minor): f"{major}.{minor}.{patch}" for major, minor, patch in _patches(body)}


def reflect(classpath: Sequence[Path | str], work: Path) -> dict[str, Any]:
    """Run FlinkOptions.java against ``classpath`` (jars, or ``dir/*``): its JSON."""
    classes = work / "classes"
    classes.mkdir(parents=True, exist_ok=True)
    path = os.pathsep.join(str(entry) for entry in classpath)
    javac = [
        "javac", "-nowarn", "-encoding", "UTF-8", "--release", JAVA_RELEASE,
        "-cp", path, "-d", str(classes), str(JAVA_SOURCE),
    ]
    compiled = subprocess.run(javac, capture_output=True, text=True, check=False)
    if compiled.returncode != 0:
        raise OptionsError(f"javac failed:\n{compiled.stdout}{compiled.stderr}")
    out = work / "options.json"
    java = [
        "java", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-cp", f"{path}{os.pathsep}{classes}", "FlinkOptions", str(out), *OPTION_CLASSES,
    ]
    ran = subprocess.run(java, capture_output=True, text=True, check=False)
    if ran.returncode != 0:
        raise OptionsError(f"FlinkOptions failed:\n{ran.stdout}{ran.stderr}")
    result: dict[str, Any] = json.loads(out.read_text())
    return result


def library_names() -> frozenset[str]:
    """Every configuration key the library manages, checks or sets, on any version."""
    return frozenset({*MANAGED_KEYS, *LOCAL_DIR_KEYS, *LIBRARY_DEFAULT_KEYS, *RENAMED_OPTIONS})


def version_entry(
    release: str, modules: Mapping[str, str], reflected: Mapping[str, Any], names: Iterable[str]
) -> dict[str, Any]:
    """One release's options that carry any of ``names``, by key: where Flink declares
    them, whether every declaration is @Deprecated, their deprecated keys and their other
    fallback keys (in Flink's order), and their default as Flink writes it."""
    wanted = frozenset(names)
    options: dict[str, dict[str, Any]] = {}
    for option in reflected["options"]:
        fallbacks = option["fallbackKeys"]
        if not ({option["key"]} | {f["key"] for f in fallbacks}) & wanted:
            continue
        entry = {
            "declaredIn": [f"{option['class'].rsplit('.', 1)[1]}.{option['field']}"],
            "deprecated": option["deprecated"],
            "deprecatedKeys": [f["key"] for f in fallbacks if f["deprecated"]],
            "fallbackKeys": [f["key"] for f in fallbacks if not f["deprecated"]],
            "default": option["default"],
        }
        known = options.get(option["key"])
        if known is not None:
            # One option declared twice (a class kept for compatibility points at the new one).
            if {**known, "declaredIn": [], "deprecated": 0} != {**entry, "declaredIn": [], "deprecated": 0}:
                raise OptionsError(f"Flink {release} declares {option['key']} twice, differently")
            entry["declaredIn"] = sorted({*known["declaredIn"], *entry["declaredIn"]})
            entry["deprecated"] = known["deprecated"] and entry["deprecated"]
        options[option["key"]] = entry
    return {"release": release, "modules": dict(modules), "options": dict(sorted(options.items()))}


def render(versions: Mapping[str, Mapping[str, Any]]) -> str:
    """The file's text: one line per option, so a regeneration's diff reads per option."""
    lines = [
        "{",
        '"generated": "by scripts/generators/flink_options.py from each release\'s own ConfigOption '
        f'classes; do not edit. Regenerate: {COMMAND}",',
        '"versions": {',
    ]
    for index, (minor, entry) in enumerate(versions.items()):
        lines.append(
            f'{json.dumps(minor)}: {{"release": {json.dumps(entry["release"])}, '
            f'"modules": {json.dumps(entry["modules"])}, "options": {{'
        )
        items = list(entry["options"].items())
        for position, (key, option) in enumerate(items):
            comma = "," if position < len(items) - 1 else ""
            lines.append(f"  {json.dumps(key)}: {json.dumps(option, sort_keys=True)}{comma}")
        lines.append("}}" + ("," if index < len(versions) - 1 else ""))
    lines += ["}", "}"]
    return "\n".join(lines) + "\n"


def generate() -> str:
    if set(RELEASES) != set(SUPPORTED_MINORS):
        raise OptionsError(f"RELEASES must name a release for each of {SUPPORTED_MINORS}")
    try:
        newest = newest_releases()
    except OSError as exc:
        newest = {}
        print(f"could not read Maven Central's release list ({exc})", file=sys.stderr)
    for pair, release in RELEASES.items():
        if newest.get(pair, release) != release:
            print(f"note: Flink {newest[pair]} is newer than {release}; update RELEASES", file=sys.stderr)
    names = library_names()
    versions: dict[str, dict[str, Any]] = {}
    found: set[str] = set()
    for (major, minor), release in sorted(RELEASES.items()):
        print(f"reading Flink {release}", file=sys.stderr)
        with tempfile.TemporaryDirectory(prefix=f"flink-options-{release}-") as work:
            jars, modules = release_jars(release)
            reflected = reflect(jars, Path(work))
        entry = version_entry(release, modules, reflected, names)
        versions[f"{major}.{minor}"] = entry
        for key, option in entry["options"].items():
            found |= {key, *option["deprecatedKeys"], *option["fallbackKeys"]}
    unknown = sorted(names - found)
    if unknown:
        raise OptionsError(f"no supported release declares {unknown}: add the class to OPTION_CLASSES")
    return render(versions)


def main(argv: Sequence[str] | None = None) -> int:
    options = parser(COMMAND, __doc__).parse_args(argv)
    path = target_path(options.root, TARGET)
    try:
        text = generate()
    except OptionsError as exc:
        print(f"flink_options: {exc}", file=sys.stderr)
        return 2
    return write_or_check(path, text, COMMAND, options.check)


if __name__ == "__main__":
    sys.exit(main())
