"""Java and the Flink distributions for the tests that run real Flink.

Nothing here is skipped: a missing JDK or distribution fails the test with the
command that provides it (``bash scripts/setup-test.sh``).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.support.paths import BUILD_CACHE, ROOT

JAVA_SOURCES = ROOT / "tests" / "java"
SETUP_HINT = "run `bash scripts/setup-test.sh` (installs a JDK 17 and assembles the Flink distributions)"
MIN_JAVA = 17
JOB_CLASS = "CheckpointedJob"
BOUNDED_JOB_CLASS = "BoundedJob"
JOB_JAR_CLASSES = (JOB_CLASS, BOUNDED_JOB_CLASS)
"""The classes in the job jar; its manifest's Main-Class is JOB_CLASS."""
CONFIG_CHECK_CLASS = "ConfigCheck"


@cache
def flink_dist() -> ModuleType:
    """``scripts/flink_dist.py``: one place for the versions and the cache layout."""
    path = ROOT / "scripts" / "flink_dist.py"
    spec = importlib.util.spec_from_file_location("flink_dist", path)
    assert spec and spec.loader, path
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def flink_versions() -> tuple[str, str]:
    """The two distributions the tests run: (1.20.x, 2.3.x)."""
    v120, v23 = flink_dist().DEFAULT_VERSIONS
    return v120, v23


@dataclass(frozen=True)
class Java:
    home: Path
    java: Path
    javac: Path
    release: int


def _release(javac: Path) -> int:
    out = subprocess.run([str(javac), "-version"], capture_output=True, text=True, check=False)
    match = re.search(r"javac (\d+)", out.stdout + out.stderr)
    return int(match.group(1)) if match else 0


@cache
def find_java() -> Java:
    """The JDK 17+: ``$JAVA_HOME``'s, else the ``javac`` on PATH, else one in /usr/lib/jvm
    (where scripts/setup-test.sh's openjdk-17-jdk-headless lands)."""
    candidates = []
    if os.environ.get("JAVA_HOME"):
        candidates.append(Path(os.environ["JAVA_HOME"]) / "bin" / "javac")
    if shutil.which("javac"):
        candidates.append(Path(os.path.realpath(shutil.which("javac") or "")))
    candidates += sorted(Path("/usr/lib/jvm").glob("*/bin/javac"))
    for javac in candidates:
        home = javac.parent.parent
        java = home / "bin" / "java"
        if javac.is_file() and java.is_file():
            release = _release(javac)
            if release >= MIN_JAVA:
                return Java(home=home, java=java, javac=javac, release=release)
    found = ", ".join(str(c) for c in candidates) or "none"
    pytest.fail(f"no JDK {MIN_JAVA}+ with javac found (checked: {found}); {SETUP_HINT}", pytrace=False)


def flink_home(version: str) -> Path:
    dist = flink_dist()
    if not dist.is_complete(version):
        pytest.fail(
            f"the Flink {version} distribution is missing at {dist.dist_dir(version)}; {SETUP_HINT}",
            pytrace=False,
        )
    return Path(dist.dist_dir(version))


@dataclass(frozen=True)
class JavaBuild:
    """The test's Java sources compiled against one Flink version."""

    version: str
    flink_home: Path
    root: Path
    classes: Path
    job_jar: Path

    @property
    def classpath(self) -> str:
        return f"{self.flink_home / 'lib' / '*'}{os.pathsep}{self.classes}"


def compile_sources(java: Java, version: str) -> JavaBuild:
    """javac tests/java/*.java against the version's lib/*.jar; jar the job classes."""
    home = flink_home(version)
    (BUILD_CACHE / version).mkdir(parents=True, exist_ok=True)
    # One directory per session, so concurrent sessions never share classes.
    out = Path(tempfile.mkdtemp(prefix="session-", dir=BUILD_CACHE / version))
    classes = out / "classes"
    classes.mkdir()
    sources = sorted(str(p) for p in JAVA_SOURCES.glob("*.java"))
    cmd = [
        str(java.javac), "-nowarn", "-encoding", "UTF-8", "--release", str(MIN_JAVA),
        "-cp", str(home / "lib" / "*"), "-d", str(classes), *sources,
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        pytest.fail(
            f"javac against Flink {version} failed:\n{result.stdout}{result.stderr}", pytrace=False
        )
    job_jar = out / "checkpointed-job.jar"
    with zipfile.ZipFile(job_jar, "w", zipfile.ZIP_DEFLATED) as jar:
        jar.writestr(
            "META-INF/MANIFEST.MF",
            f"Manifest-Version: 1.0\r\nMain-Class: {JOB_CLASS}\r\nCreated-By: pulumi-flink tests\r\n\r\n",
        )
        for name in JOB_JAR_CLASSES:
            for cls in sorted(classes.glob(f"{name}.class")) + sorted(classes.glob(f"{name}$*.class")):
                jar.write(cls, cls.name)
    return JavaBuild(version=version, flink_home=home, root=out, classes=classes, job_jar=job_jar)


def run_config_check(
    java: Java, build: JavaBuild, conf_dirs: list[Path], work: Path
) -> list[dict[str, Any]]:
    """Load every conf dir with Flink's own classes in ONE JVM; one result per dir, in order."""
    return _run_conf_dir_tool(java, build, CONFIG_CHECK_CLASS, work / "config-check.json", [], conf_dirs)


def _run_conf_dir_tool(
    java: Java, build: JavaBuild, main_class: str, out: Path, args: list[str], conf_dirs: list[Path]
) -> list[dict[str, Any]]:
    """Run a tests/java tool that reads conf dirs and writes one JSON result per dir, in order, to ``out``."""
    cmd = [
        str(java.java), "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-cp", build.classpath, main_class, str(out), *args, *map(str, conf_dirs),
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=300)
    if result.returncode != 0 or not out.exists():
        pytest.fail(
            f"{main_class} failed (exit {result.returncode}):\n"
            f"{result.stdout[-4000:]}{result.stderr[-4000:]}",
            pytrace=False,
        )
    results: list[dict[str, Any]] = json.loads(out.read_text(encoding="utf-8"))
    assert [r["confDir"] for r in results] == [str(d) for d in conf_dirs]
    return results


CONFIG_ROUND_TRIP_CLASS = "ConfigRoundTrip"


def run_config_round_trip(
    java: Java, build: JavaBuild, conf_dirs: list[Path], list_keys: list[str], work: Path
) -> list[dict[str, Any]]:
    """What Flink's own parser reads from every conf dir, in ONE JVM: per dir, every key as a
    string and each of ``list_keys`` as a list (tests/java/ConfigRoundTrip.java)."""
    keys_file = work / "list-keys.txt"
    keys_file.write_text("".join(f"{key}\n" for key in list_keys), encoding="utf-8")
    out = work / "config-round-trip.json"
    return _run_conf_dir_tool(java, build, CONFIG_ROUND_TRIP_CLASS, out, [str(keys_file)], conf_dirs)


# What flink-console.sh does with the JVM options before `exec java`: config.sh reads them
# from the conf dir (through BashJavaUtils), then `eval echo`, then an unquoted expansion, in
# the distribution directory (the image's working directory, /opt/flink).
_JVM_WORDS_SCRIPT = """
. "$(dirname "$0")/config.sh"
FLINK_ENV_JAVA_OPTS=$(eval echo ${FLINK_ENV_JAVA_OPTS})
printf '%s\\0' ${FLINK_ENV_JAVA_OPTS}
"""


def jvm_words(java: Java, version: str, conf_dir: Path) -> list[str]:
    """The JVM options Flink's start scripts pass to ``java`` for ``conf_dir``, word by word."""
    home = flink_home(version)
    env = {**os.environ, "FLINK_CONF_DIR": str(conf_dir), "JAVA_HOME": str(java.home)}
    env.pop("FLINK_ENV_JAVA_OPTS", None)
    # bash -c SCRIPT NAME: $0 is NAME, a path in the distribution's bin/, where config.sh looks.
    result = subprocess.run(
        ["bash", "-c", _JVM_WORDS_SCRIPT, str(home / "bin" / "jvm-words")],
        capture_output=True, check=False, timeout=120, env=env, cwd=home,
    )
    if result.returncode != 0:
        why = result.stderr.decode(errors="replace")
        pytest.fail(f"config.sh of Flink {version} failed: {why}", pytrace=False)
    return result.stdout.decode("utf-8").split("\0")[:-1]
