"""What the real-process tests share about the clusters they boot."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

FAST_START_JVM_OPTIONS = ["-XX:+ExitOnOutOfMemoryError", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"]
"""Rendered into env.java.opts.all like any user's options: C1 only and the serial GC boot
Flink's JVMs in about half the time on a 2-core machine (these tests start 2 to 6 at once)."""


def small_cluster(version: str, **overrides: Any) -> dict[str, Any]:
    """A session cluster ``analytics`` in namespace ``flink`` as a team would deploy it, with
    memory modest enough for a 2-core CI machine: one JobManager (1 CPU, 1024Mi) and one
    TaskManager (1 CPU, 1280Mi, 2 slots), parallelism 2. ``overrides`` replace top-level keys."""
    return {
        "name": "analytics",
        "flinkVersion": version,
        "namespace": "flink",
        "jobManager": {"cpu": "1", "memory": "1024Mi"},
        "taskManager": {"cpu": "1", "memory": "1280Mi", "replicas": 1, "slots": 2},
        "parallelism": 2,
        **overrides,
    }


def digest(directory: Path) -> dict[str, str]:
    """Relative path -> SHA-256 of every file under ``directory``."""
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*")) if p.is_file()
    }
