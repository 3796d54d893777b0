"""Memory: what Flink derives from the process sizes and the user's memory options."""

from __future__ import annotations

from pulumi_flink.model.memory import (
    MemoryModelError,
    MemoryOptionError,
    jobmanager_memory,
    taskmanager_memory,
)
from pulumi_flink.spec import FlinkClusterSpec
from pulumi_flink.spec.errors import Problem


def check_memory(spec: FlinkClusterSpec) -> list[Problem]:
    config = spec.flink_configuration
    derivations = (
        (
            "taskManager",
            "1728Mi",
            lambda: taskmanager_memory(spec.task_manager.memory_mib, config, spec.version),
        ),
        (
            "jobManager",
            "1600Mi",
            lambda: jobmanager_memory(spec.job_manager.memory_mib, config),
        ),
    )
    problems = []
    for field, flink_default, derive in derivations:
        try:
            derive()
        except MemoryModelError as exc:
            fix = f"raise {field}.memory (Flink's default is {flink_default})"
            problems.append(Problem(f"{field}.memory", f"{exc}.", fix))
        except MemoryOptionError as exc:
            message = f"Flink would refuse it: {exc}."
            fix = (
                "write a fraction from 0 up to, not including, 1, e.g. 0.1"
                if exc.key.endswith(".fraction")
                else "write a memory size such as '256m' (below 8 EiB)"
            )
            problems.append(Problem(f"flinkConfiguration.{exc.key}", message, fix))
    return problems
