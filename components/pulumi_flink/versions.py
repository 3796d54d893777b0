"""Flink versions the library supports, and what each version changes."""

from __future__ import annotations

from dataclasses import dataclass

from .text import whole_string

SUPPORTED_MINORS: tuple[tuple[int, int], ...] = (
    *((1, minor) for minor in range(14, 21)),
    *((2, minor) for minor in range(0, 4)),
)
_VERSION = whole_string(r"([0-9]+)\.([0-9]+)(?:\.([0-9]+))?")


def supported_versions_text() -> str:
    return f"{SUPPORTED_MINORS[0][0]}.{SUPPORTED_MINORS[0][1]} to " + (
        f"{SUPPORTED_MINORS[-1][0]}.{SUPPORTED_MINORS[-1][1]}"
    )


@dataclass(frozen=True, order=True)
class FlinkVersion:
    major: int
    minor: int
    patch: int | None = None

    @classmethod
    def parse(cls, text: str) -> FlinkVersion:
        match = _VERSION(text) if isinstance(text, str) else None
        if not match:
            raise ValueError(
                f"{text!r} is not a Flink version; write 'MAJOR.MINOR' or "
                "'MAJOR.MINOR.PATCH', e.g. '1.20' or '2.3.0'"
            )
        major, minor, patch = match.groups()
        version = cls(int(major), int(minor), int(patch) if patch is not None else None)
        if version.minor_key not in SUPPORTED_MINORS:
            raise ValueError(
                f"Flink {text} is not supported; pulumi-flink supports Flink {supported_versions_text()}"
            )
        return version

    @property
    def minor_key(self) -> tuple[int, int]:
        return (self.major, self.minor)

    def __str__(self) -> str:
        base = f"{self.major}.{self.minor}"
        return base if self.patch is None else f"{base}.{self.patch}"

    def at_least(self, major: int, minor: int) -> bool:
        return self.minor_key >= (major, minor)

    @property
    def java_release(self) -> int:
        """Java of the official image we default to: 17 from Flink 1.18 on, else 11."""
        return 17 if self.at_least(1, 18) else 11

    @property
    def default_image(self) -> str:
        return f"flink:{self}-java{self.java_release}"

    @property
    def reads_config_yaml(self) -> bool:
        """Flink 1.19 introduced the standard-YAML ``config.yaml``."""
        return self.at_least(1, 19)

    @property
    def reads_flink_conf_yaml(self) -> bool:
        """Flink 2.0 dropped the legacy flat ``flink-conf.yaml``."""
        return not self.at_least(2, 0)

    @property
    def default_config_file(self) -> str:
        return "config.yaml" if self.at_least(2, 0) else "flink-conf.yaml"

    @property
    def jvm_options_key(self) -> str:
        """``env.java.opts.all`` from 1.17 on; older releases call it ``env.java.opts``."""
        return "env.java.opts.all" if self.at_least(1, 17) else "env.java.opts"

    # Native Kubernetes keys. 1.19 and later use today's names (checked against Flink 1.20 and
    # 2.3); every 1.x release reads the original names, first as the key, later as a
    # deprecated fallback, so older releases get those.
    @property
    def native_image_key(self) -> str:
        return "kubernetes.container.image.ref" if self.at_least(1, 19) else "kubernetes.container.image"

    def native_cpu_key(self, process: str) -> str:
        """``process``: 'jobmanager' or 'taskmanager'."""
        return f"kubernetes.{process}.cpu" + (".amount" if self.at_least(1, 19) else "")

    @property
    def has_user_artifacts_dir(self) -> bool:
        """Flink's native client mounts an emptyDir at ``user.artifacts.base-dir`` from 1.19 on."""
        return self.at_least(1, 19)

    @property
    def state_recovery_keys(self) -> tuple[str, str]:
        """(path, ignore-unclaimed-state) of the savepoint to start from: renamed in 1.20."""
        if self.at_least(1, 20):
            return ("execution.state-recovery.path", "execution.state-recovery.ignore-unclaimed-state")
        return ("execution.savepoint.path", "execution.savepoint.ignore-unclaimed-state")

    @property
    def ha_type_key(self) -> str:
        """``high-availability.type`` from 1.17 on (2.x rejects the old key next to its
        sub-keys); ``high-availability`` before."""
        return "high-availability.type" if self.at_least(1, 17) else "high-availability"

    @property
    def restart_strategy_key(self) -> str:
        return "restart-strategy.type" if self.at_least(1, 17) else "restart-strategy"

    @property
    def checkpoint_dir_keys(self) -> tuple[str, str]:
        """(checkpoints, savepoints) directory keys: renamed in 1.20."""
        if self.at_least(1, 20):
            return ("execution.checkpointing.dir", "execution.checkpointing.savepoint-dir")
        return ("state.checkpoints.dir", "state.savepoints.dir")
