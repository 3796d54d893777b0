"""Logs: the log file and its volume."""

from __future__ import annotations

from pulumi_flink.model.layout import LOG_DIR
from pulumi_flink.spec import FlinkClusterSpec
from pulumi_flink.spec.errors import Problem

LOGGING_FIELD_NAMES = {"volume_claim": "volumeClaim", "max_file_size": "maxFileSize", "max_files": "maxFiles"}


def check_logging(spec: FlinkClusterSpec) -> list[Problem]:
    logging = spec.logging
    if not logging.to_file:
        return [
            Problem(f"logging.{name}", "logs go to stdout only (logging.toFile is off).",
                    "set logging.toFile: true, or remove this field")
            for field, name in LOGGING_FIELD_NAMES.items()
            if field in logging.model_fields_set
        ]
    log_dir = spec.flink_configuration.get("env.log.dir")
    if log_dir is not None and str(log_dir).rstrip("/") != LOG_DIR:
        return [
            Problem(
                "flinkConfiguration.env.log.dir",
                f"logging.toFile writes the log files to {LOG_DIR}, on its volume; {log_dir} would "
                "move them off it.",
                "remove env.log.dir",
            )
        ]
    return []
