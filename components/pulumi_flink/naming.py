"""Kubernetes names and labels, all derived from the cluster name.

Names are explicit and deterministic (no Pulumi auto-naming), so a reviewer
reads the real object names in the preview and two clusters never collide.
"""

from __future__ import annotations

from dataclasses import dataclass

MANAGED_BY = "pulumi-flink"
CONFIG_CHECKSUM_ANNOTATION = "flink.pulumi.com/config-checksum"

# Labels that select pods. They never change for a running cluster, because a
# Deployment's selector is immutable.
SELECTOR_LABEL_KEYS = (
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/component",
)
RESERVED_LABEL_KEYS = (*SELECTOR_LABEL_KEYS, "app.kubernetes.io/managed-by")


@dataclass(frozen=True)
class ClusterNames:
    """Every Kubernetes object name of one cluster."""

    cluster: str

    @property
    def config_map(self) -> str:
        return f"{self.cluster}-config"

    @property
    def jobmanager(self) -> str:
        return f"{self.cluster}-jobmanager"

    @property
    def taskmanager(self) -> str:
        return f"{self.cluster}-taskmanager"

    @property
    def jobmanager_service(self) -> str:
        """Internal Service: RPC and blob, what TaskManagers and clients dial."""
        return f"{self.cluster}-jobmanager"

    @property
    def rest_service(self) -> str:
        return f"{self.cluster}-rest"

    @property
    def service_account(self) -> str:
        return f"{self.cluster}-flink"

    @property
    def role(self) -> str:
        return f"{self.cluster}-flink"


def selector_labels(cluster: str, component: str) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": "flink",
        "app.kubernetes.io/instance": cluster,
        "app.kubernetes.io/component": component,
    }


def common_labels(
    cluster: str, component: str, flink_version: str, extra: dict[str, str] | None = None
) -> dict[str, str]:
    """Recommended labels; extra user labels come first so ours always win."""
    labels = dict(extra or {})
    labels.update(selector_labels(cluster, component))
    labels["app.kubernetes.io/version"] = flink_version
    labels["app.kubernetes.io/managed-by"] = MANAGED_BY
    return labels
