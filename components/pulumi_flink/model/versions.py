"""Flink versions the library supports, and what each version changes."""

from __future__ import annotations

from dataclasses import dataclass

from pulumi_flink.model.flink_options import FlinkOptions, flink_options
from pulumi_flink.model.text import whole_string

SUPPORTED_MINORS: tuple[tuple[int, int], ...] = (
    *((1, minor) for minor in range(14, 21)),
    *((2, minor) for minor in range(0, 4)),
)
# Options Flink renamed within the supported releases, by a name every supported release
# reads (the original key, later a deprecated one). The library writes each under the
# cluster's release's own key, taken from Flink's ConfigOption classes (flink_options).
HA_TYPE = "high-availability"
RESTART_STRATEGY = "restart-strategy"
JVM_OPTIONS = "env.java.opts"
NATIVE_IMAGE = "kubernetes.container.image"
NATIVE_CPU = "kubernetes.{process}.cpu"
CHECKPOINTS_DIR = "state.checkpoints.dir"
SAVEPOINTS_DIR = "state.savepoints.dir"
STATE_RECOVERY_PATH = "execution.savepoint.path"
STATE_RECOVERY_IGNORE_UNCLAIMED = "execution.savepoint.ignore-unclaimed-state"
RENAMED_OPTIONS = (
    HA_TYPE, RESTART_STRATEGY, JVM_OPTIONS, NATIVE_IMAGE, NATIVE_CPU.format(process="jobmanager"),
    NATIVE_CPU.format(process="taskmanager"), CHECKPOINTS_DIR, SAVEPOINTS_DIR, STATE_RECOVERY_PATH,
    STATE_RECOVERY_IGNORE_UNCLAIMED,
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
    def options(self) -> FlinkOptions:
        """Flink's own description of the options the library uses, for this minor."""
        return flink_options(self.minor_key)

    @property
    def jvm_options_key(self) -> str:
        """``env.java.opts.all`` from 1.17 on; older releases call it ``env.java.opts``."""
        return self.options.key(JVM_OPTIONS)

    # Native Kubernetes keys: today's names from 1.17 on (the original ones, deprecated since,
    # before), as Flink's own client writes them.
    @property
    def native_image_key(self) -> str:
        return self.options.key(NATIVE_IMAGE)

    def native_cpu_key(self, process: str) -> str:
        """``process``: 'jobmanager' or 'taskmanager'."""
        return self.options.key(NATIVE_CPU.format(process=process))

    @property
    def has_user_artifacts_dir(self) -> bool:
        """Flink's native client mounts an emptyDir at ``user.artifacts.base-dir`` from 1.19 on."""
        return self.at_least(1, 19)

    @property
    def state_recovery_keys(self) -> tuple[str, str]:
        """(path, ignore-unclaimed-state) of the savepoint to start from: renamed in 1.20."""
        return (self.options.key(STATE_RECOVERY_PATH), self.options.key(STATE_RECOVERY_IGNORE_UNCLAIMED))

    @property
    def ha_type_key(self) -> str:
        """``high-availability.type`` from 1.17 on (2.x rejects the old key next to its
        sub-keys); ``high-availability`` before."""
        return self.options.key(HA_TYPE)

    @property
    def restart_strategy_key(self) -> str:
        """``restart-strategy.type`` from 1.17 on."""
        return self.options.key(RESTART_STRATEGY)

    @property
    def checkpoint_dir_keys(self) -> tuple[str, str]:
        """(checkpoints, savepoints) directory keys: renamed in 1.20."""
        return (self.options.key(CHECKPOINTS_DIR), self.options.key(SAVEPOINTS_DIR))
