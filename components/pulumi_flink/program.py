"""The stack program: stack config in, Flink clusters out.

Shared by ``stacks/__main__.py`` (``pulumi up``) and the offline renderer, so
both read, validate and build a stack the same way. The whole stack config is
validated before the first resource is registered.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi

from pulumi_flink.resources.cluster import FlinkCluster
from pulumi_flink.resources.collisions import Claims, cluster_claims
from pulumi_flink.spec import FlinkClusterSpec
from pulumi_flink.spec.errors import FlinkSpecError, Problem
from pulumi_flink.validation import check_ha_credentials, check_once, cluster_names, cluster_warnings

PROJECT = "pulumi-flink"
CLUSTERS_KEY = "clusters"
HA_CREDENTIALS_KEY = "haCredentials"
KNOWN_KEYS = {
    CLUSTERS_KEY: "The Flink clusters of this stack: a list of FlinkClusterSpec in camelCase "
    "(name and flinkVersion required). Schema: stacks/stack-config.schema.json.",
    HA_CREDENTIALS_KEY: "Object-store credentials for HA storage, as secrets: cluster name -> "
    "environment variable -> value. Set each with `pulumi config set --secret --path "
    "'haCredentials.<cluster>.<VARIABLE>' <value>`; they reach the pods only through a Kubernetes Secret.",
}


@dataclass(frozen=True)
class SecretValue:
    """A secret from stack config. ``value`` is its plain text under ``pulumi up``; offline the
    stack file holds only the ciphertext, so it is None and renders show a placeholder."""

    value: str | None = field(repr=False)


@dataclass(frozen=True)
class StackConfig:
    clusters: tuple[FlinkClusterSpec, ...]
    ha_credentials: Mapping[str, Mapping[str, SecretValue]] = field(default_factory=dict)
    """Cluster name -> environment variable -> secret, from ``haCredentials``."""

    @property
    def warnings(self) -> list[str]:
        return [w for spec in self.clusters for w in cluster_warnings(spec)]


def _decode(value: Any) -> Any:
    # Under `pulumi up` object values arrive as JSON text.
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _is_ciphertext(value: Any) -> bool:
    """A secret as a stack file holds it: ``{secure: v1:...}``."""
    return isinstance(value, dict) and set(value) == {"secure"} and isinstance(value["secure"], str)


def _ciphertext_paths(value: Any, path: str) -> list[str]:
    if _is_ciphertext(value):
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _ciphertext_paths(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _ciphertext_paths(v, f"{path}[{i}]")]
    return []


def parse_stack_config(
    config: Mapping[str, Any], project: str = PROJECT, secret_keys: Collection[str] = ()
) -> StackConfig:
    """Validate a stack's ``config:`` block (``project:key`` → value); raise every problem at once.

    ``secret_keys``: the keys Pulumi marks secret (under ``pulumi up`` their values arrive
    decrypted); offline, secrets are the stack file's ``{secure: ...}`` values.
    """
    problems: list[Problem] = []
    prefix = f"{project}:"
    for key in sorted(config, key=str):
        if not isinstance(key, str):  # YAML reads `1:` or `true:` as a number or a boolean
            problems.append(Problem(str(key), "is not a stack config key.", f"write keys as {prefix}<key>"))
        elif key.startswith(prefix) and key[len(prefix) :] not in KNOWN_KEYS:
            known = ", ".join(f"{prefix}{k}" for k in KNOWN_KEYS)
            problems.append(Problem(key, "unknown stack config key.", f"use one of: {known}"))
    clusters_key = f"{prefix}{CLUSTERS_KEY}"
    raw = _decode(config.get(clusters_key))
    secret_inside = _ciphertext_paths(raw, clusters_key)
    if clusters_key in secret_keys:
        secret_inside.append(clusters_key)
    if secret_inside:
        problems.append(
            Problem(
                secret_inside[0],
                "is a secret; a cluster spec holds no secret, and one secret value makes Pulumi "
                "treat the whole clusters list, and every output from it, as secret.",
                f"put object-store credentials in {prefix}{HA_CREDENTIALS_KEY}, other secrets in "
                "Kubernetes Secrets named by highAvailability.credentialsSecret or pod.env valueFrom",
            )
        )
        raise FlinkSpecError(problems)
    if raw is None:
        problems.append(
            Problem(
                f"{prefix}clusters",
                "no clusters are configured.",
                "add a list of clusters, each with at least name and flinkVersion",
            )
        )
        raise FlinkSpecError(problems)
    if not isinstance(raw, list) or not raw:
        problems.append(
            Problem(
                f"{prefix}clusters",
                "expected a non-empty list of clusters.",
                "write one YAML list item per cluster",
            )
        )
        raise FlinkSpecError(problems)

    specs: list[FlinkClusterSpec] = []
    checked: list[tuple[int, FlinkClusterSpec, bool]] = []  # (index in the list, spec, valid on its own)
    for index, item in enumerate(raw):
        path = f"clusters[{index}]"
        try:
            spec = FlinkClusterSpec.parse(item, path)
        except FlinkSpecError as exc:
            problems += exc.problems
            continue
        own = check_once(spec)
        problems += [p.prefixed(path) for p in own]
        specs.append(spec)
        checked.append((index, spec, not own))

    credentials, credential_problems = _parse_ha_credentials(config, prefix, secret_keys, specs)
    problems += credential_problems
    problems += _check_collisions(checked, credentials)
    if problems:
        raise FlinkSpecError(problems)
    return StackConfig(tuple(specs), credentials)


def _parse_ha_credentials(
    config: Mapping[str, Any], prefix: str, secret_keys: Collection[str], specs: list[FlinkClusterSpec]
) -> tuple[dict[str, dict[str, SecretValue]], list[Problem]]:
    key = f"{prefix}{HA_CREDENTIALS_KEY}"
    raw = _decode(config.get(key))
    if raw is None or raw == {}:
        return {}, []
    if not isinstance(raw, dict):
        fix = f"write a mapping of cluster names to credentials, e.g. {key}: {{analytics: {{...}}}}"
        return {}, [Problem(key, "expected a mapping of cluster names to credentials.", fix)]
    by_name = {spec.name: spec for spec in specs}
    decrypted = key in secret_keys
    credentials: dict[str, dict[str, SecretValue]] = {}
    problems: list[Problem] = []
    for cluster, variables in raw.items():
        path = f"{key}.{cluster}"
        if cluster not in by_name:
            known = ", ".join(sorted(by_name)) or "none"
            problems.append(
                Problem(path, "names no cluster of this stack.", f"use a cluster name ({known})")
            )
            continue
        if not isinstance(variables, dict) or not variables:
            problems.append(
                Problem(
                    path,
                    "expected a mapping of environment variable names to secrets.",
                    "e.g. AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, each set with --secret",
                )
            )
            continue
        secrets: dict[str, SecretValue] = {}
        for variable, value in variables.items():
            if _is_ciphertext(value):
                secrets[variable] = SecretValue(None)
            elif decrypted and isinstance(value, str):
                secrets[variable] = SecretValue(value)
            else:
                problems.append(
                    Problem(
                        f"{path}.{variable}",
                        "is plain text in the stack file; credentials must be Pulumi secrets.",
                        f"run: pulumi config set --secret --path '{HA_CREDENTIALS_KEY}.{cluster}.{variable}' "
                        "<value>",
                    )
                )
        refused = check_ha_credentials(by_name[cluster], variables)
        problems += [Problem(path, p.message, p.fix) for p in refused]
        if not refused and len(secrets) == len(variables):  # only good credentials reach a plan
            credentials[cluster] = secrets
    return credentials, problems


def _check_collisions(
    checked: list[tuple[int, FlinkClusterSpec, bool]], credentials: Mapping[str, Mapping[str, SecretValue]]
) -> list[Problem]:
    """Clusters of one stack need their own names (Pulumi's resource names derive from them),
    and their own Kubernetes objects, HA cluster ids and node ports (``collisions``)."""
    problems: list[Problem] = []
    names: dict[str, tuple[int, str]] = {}
    claims = Claims()
    for index, spec, valid in checked:
        for name in dict.fromkeys(cluster_names(spec)):
            if name in names:
                owner, what = names[name]
                problems.append(
                    Problem(
                        f"clusters[{index}].name",
                        f"{name!r} is already {what} of clusters[{owner}].",
                        "give every cluster of a stack, and every per-job cluster, its own name",
                    )
                )
                break
            names[name] = (index, "the name" if name == spec.name else "a per-job cluster name")
        else:
            if valid:  # an invalid spec has no plan; its own problems come first
                path = f"clusters[{index}]"
                planned = cluster_claims(spec, tuple(credentials.get(spec.name, ())))
                problems += [p.prefixed(path) for p in claims.claim(path, planned)]
    return problems


def current_stack_config() -> dict[str, Any]:
    """Every config value of the running Pulumi program, as ``project:key`` → value."""
    from pulumi.runtime import config as runtime_config

    values = dict(runtime_config.get_config_env())
    values.update(runtime_config.CONFIG.get())
    return values


def current_secret_keys() -> set[str]:
    """The config keys the running Pulumi program received as secrets."""
    from pulumi.runtime import config as runtime_config

    return {key for key in current_stack_config() if runtime_config.is_config_secret(key)} | set(
        runtime_config.get_config_secret_keys_env()
    )


def build_stack(stack: StackConfig, opts: pulumi.ResourceOptions | None = None) -> dict[str, FlinkCluster]:
    """Each cluster from the spec the stack check parsed and validated, as it is: the
    components find it valid without checking it again (``check_once``)."""
    clusters = {
        spec.name: FlinkCluster(spec.name, spec, opts, ha_credentials=_ha_credentials(stack, spec))
        for spec in stack.clusters
    }
    pulumi.export("clusters", {name: _stack_output(cluster) for name, cluster in clusters.items()})
    return clusters


def _ha_credentials(stack: StackConfig, spec: FlinkClusterSpec) -> dict[str, pulumi.Output[str]] | None:
    secrets = stack.ha_credentials.get(spec.name)
    if not secrets:
        return None
    # Offline the ciphertext cannot be read: an empty secret stands in, and renders redact it.
    return {name: pulumi.Output.secret(s.value or "") for name, s in secrets.items()}


def _stack_output(cluster: FlinkCluster) -> dict[str, Any]:
    output: dict[str, Any] = {
        "mode": cluster.spec.deployment_mode,
        "namespace": cluster.namespace,
        "clusterName": cluster.cluster_name,
    }
    if cluster.spec.high_availability.enabled:
        output["haClusterIds"] = cluster.ha_cluster_ids
        output["haCleanup"] = cluster.ha_cleanup
    if cluster.spec.mode == "per-job":
        output["jobs"] = {
            job: {"restEndpoint": job_cluster.rest_endpoint, "clusterName": job_cluster.cluster_name}
            for job, job_cluster in cluster.job_clusters.items()
        }
    else:
        output["jobmanagerService"] = cluster.jobmanager_service_name
        output["restEndpoint"] = cluster.rest_endpoint
    return output


def main() -> None:
    """Entry point of ``stacks/__main__.py``."""
    build_stack(parse_stack_config(current_stack_config(), pulumi.get_project(), current_secret_keys()))
