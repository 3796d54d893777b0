"""What the real-process tests share about the clusters they boot."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any


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
