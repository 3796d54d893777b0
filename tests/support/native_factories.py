"""Flink's native Kubernetes factories, asked directly: what would Flink create?

``flink_native_specs`` runs ``tests/java/NativeSpecs.java`` (compiled with the other test
sources by ``toolchain.compile_sources``) on a configuration directory: Flink's own
``KubernetesClusterDescriptor`` deploys it against a recording client (no API server), and
the JobManager's first TaskManager pod is built the way ``KubernetesResourceManagerDriver``
builds it. The result is the JSON NativeSpecs writes (see its header), e.g.::

    specs = flink_native_specs(java, java_build(V23), V23, {"config.yaml": ..., ...}, None, tmp_path)
    specs["deployment"]["metadata"]["name"]      # the JobManager Deployment, as Flink sends it
    specs["accompanying"]                         # its Services and ConfigMaps
    specs["taskManagerPod"]                       # the first TaskManager pod
    specs["effectiveConfig"]                      # the client's configuration afterwards

One JVM per call, about two seconds.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.support.toolchain import Java, JavaBuild

NATIVE_SPECS_CLASS = "NativeSpecs"
TASKMANAGER_POD_TEMPLATE_FILE = "taskmanager-pod-template.yaml"


def flink_native_specs(
    java: Java,
    build: JavaBuild,
    version: str,
    conf_files: Mapping[str, str],
    taskmanager_pod_template: Mapping[str, Any] | None,
    tmp_path: Path,
) -> dict[str, Any]:
    """Write ``conf_files`` (file name -> content: config.yaml or flink-conf.yaml, and
    log4j-console.properties) as a conf dir, run NativeSpecs on it with Flink ``version``,
    and return its JSON. ``taskmanager_pod_template`` (a Pod as a mapping) is written next to
    it and passed as kubernetes.pod-template-file.taskmanager."""
    assert build.version == version, f"{build.version} build for a {version} probe"
    work = Path(tempfile.mkdtemp(prefix=f"native-{version}-", dir=tmp_path))
    conf_dir = work / "conf"
    conf_dir.mkdir()
    for name, content in conf_files.items():
        (conf_dir / name).write_text(content, encoding="utf-8")
    out = work / "native-specs.json"
    cmd = [
        str(java.java), "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-cp", build.classpath, NATIVE_SPECS_CLASS, str(conf_dir), str(out),
    ]
    if taskmanager_pod_template is not None:
        template = work / TASKMANAGER_POD_TEMPLATE_FILE
        template.write_text(json.dumps(taskmanager_pod_template, indent=2), encoding="utf-8")  # JSON is YAML
        cmd.append(str(template))
    result = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=120, cwd=work)
    if result.returncode != 0 or not out.exists():
        pytest.fail(
            f"{NATIVE_SPECS_CLASS} failed on Flink {version} (exit {result.returncode}):\n"
            f"{result.stdout[-4000:]}{result.stderr[-4000:]}",
            pytrace=False,
        )
    specs: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return specs
