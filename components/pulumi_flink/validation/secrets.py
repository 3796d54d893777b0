"""Secrets reach the pods only through Secret references: plain credentials in the spec are
refused, and ``haCredentials`` must fit the HA storage."""

from __future__ import annotations

from collections.abc import Mapping

from pulumi_flink.model.text import whole_string
from pulumi_flink.spec import FlinkClusterSpec
from pulumi_flink.spec.errors import Problem
from pulumi_flink.validation.credentials import (
    holds_private_key,
    is_credential_env,
    jvm_option_credential,
    option_credential,
)

_ENV_NAME = whole_string(r"[A-Za-z_][A-Za-z0-9_]*")


def check_ha_credentials(spec: FlinkClusterSpec, credentials: Mapping[str, object] | None) -> list[Problem]:
    """``haCredentials`` (``ha_credentials`` in Python args): object-store credentials as Pulumi secrets."""
    if credentials is None:
        return []
    ha = spec.high_availability
    storage = ha.storage_dir or ""
    if not ha.enabled or storage.startswith("file://") or not storage:
        return [
            Problem(
                "haCredentials",
                "there is no object-store HA storage to use them for.",
                "set highAvailability.type and an object-store storageDir, or drop haCredentials",
            )
        ]
    if ha.credentials_secret is not None:
        return [
            Problem(
                "haCredentials",
                "highAvailability.credentialsSecret already names the Secret.",
                "pass one of them",
            )
        ]
    bad = sorted(str(key) for key in credentials if not isinstance(key, str) or not _ENV_NAME(key))
    if bad or not credentials:
        return [
            Problem(
                "haCredentials",
                f"keys {bad} are not environment variable names." if bad else "no credentials given.",
                "use keys such as AWS_ACCESS_KEY_ID",
            )
        ]
    return []


_SECRET_FIX = (
    "give it to the pods from a Secret: highAvailability.credentialsSecret or haCredentials "
    "(e.g. AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, which Flink's S3 file systems read), "
    "or pod.env with valueFrom.secretKeyRef"
)
_KEY_FILE_FIX = (
    "mount the key from a Secret (a secret volume in pod.volumes and pod.volumeMounts) and "
    "point the option at the file"
)


def check_no_plain_secrets(spec: FlinkClusterSpec) -> list[Problem]:
    """Secrets reach the pods only through Secret references, never a ConfigMap or a plain
    env value (what counts as one: ``credentials``)."""
    problems = []
    for key, value in spec.flink_configuration.items():
        held = option_credential(key, value)
        if held is not None:
            fix = _KEY_FILE_FIX if held == "a private key" else _SECRET_FIX
            message = f"holds {held}, which would be stored in plain text in the ConfigMap."
            problems.append(Problem(f"flinkConfiguration.{key}", message, fix))
    for index, option in enumerate(spec.jvm_options):
        held = jvm_option_credential(option)
        if held is not None:
            message = f"holds {held}, which would be stored in plain text in the ConfigMap."
            fix = "set the property from a file or env read from a Secret, not on the command line"
            problems.append(Problem(f"jvmOptions[{index}]", message, fix))
    for index, entry in enumerate(spec.pod.env):
        if "value" not in entry:
            continue
        name = str(entry.get("name", ""))
        if is_credential_env(name):
            message = f"{name} looks like a credential, given in plain text in the pod spec."
            problems.append(Problem(f"pod.env[{index}].value", message,
                                    "use valueFrom.secretKeyRef to read it from a Secret"))
        elif holds_private_key(entry["value"]):
            message = f"{name} holds a private key, given in plain text in the pod spec."
            fix = "use valueFrom.secretKeyRef to read it from a Secret, or mount it as a file"
            problems.append(Problem(f"pod.env[{index}].value", message, fix))
    return problems
