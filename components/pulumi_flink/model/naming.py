"""Kubernetes names and labels, all derived from the cluster name.

Names are explicit and deterministic (no Pulumi auto-naming), so a reviewer
reads the real object names in the preview and two clusters never collide.
"""

from __future__ import annotations

from dataclasses import dataclass

MANAGED_BY = "pulumi-flink"
CONFIG_CHECKSUM_ANNOTATION = "flink.pulumi.com/config-checksum"
# Per-job mode: a checksum of the job's submission on the JobManager pods, so that a changed
# job restarts its dedicated cluster before the new client submits it (never two versions).
JOB_CHECKSUM_ANNOTATION = "flink.pulumi.com/job-checksum"
# On the JobManager workload: the Flink deployment mode. Changing it replaces the workload
# (see ``replace_on_mode_change``): Flink cannot turn a running cluster into another mode.
DEPLOYMENT_MODE_ANNOTATION = "flink.pulumi.com/deployment-mode"
# Per-job mode: on every object of a job's dedicated cluster, naming the per-job cluster.
PART_OF_LABEL = "app.kubernetes.io/part-of"

# Labels that select pods. They never change for a running cluster, because a
# Deployment's selector is immutable.
NAME_LABEL = "app.kubernetes.io/name"
INSTANCE_LABEL = "app.kubernetes.io/instance"
COMPONENT_LABEL = "app.kubernetes.io/component"
APP_NAME = "flink"
"""The ``app.kubernetes.io/name`` of every Flink pod (stores carry it too, by their component)."""
SELECTOR_LABEL_KEYS = (NAME_LABEL, INSTANCE_LABEL, COMPONENT_LABEL)
RESERVED_LABEL_KEYS = (*SELECTOR_LABEL_KEYS, "app.kubernetes.io/managed-by")


@dataclass(frozen=True)
class ClusterNames:
    """Every Kubernetes object name of one cluster.

    Native clusters use the names Flink's own native client gives (the cluster id is
    the cluster name): Flink's JobManager looks some of them up at runtime, e.g. the
    ``flink-config-<cluster-id>`` ConfigMap it mounts into the TaskManager pods it creates.
    """

    cluster: str
    native: bool = False

    @property
    def config_map(self) -> str:
        return f"flink-config-{self.cluster}" if self.native else f"{self.cluster}-config"

    @property
    def pod_template_config_map(self) -> str:
        """Native only: the TaskManager pod template the JobManager builds TaskManager pods from."""
        return f"pod-template-{self.cluster}"

    @property
    def jobmanager(self) -> str:
        return self.cluster if self.native else f"{self.cluster}-jobmanager"

    @property
    def taskmanager(self) -> str:
        """Standalone: the TaskManager Deployment. Native: the prefix of the pods Flink creates."""
        return f"{self.cluster}-taskmanager"

    @property
    def jobmanager_service(self) -> str:
        """Internal Service: RPC and blob, what TaskManagers and clients dial."""
        return self.cluster if self.native else f"{self.cluster}-jobmanager"

    @property
    def zookeeper(self) -> str:
        """The ZooKeeper ensemble: StatefulSet, ConfigMap, client Service, disruption budget."""
        return f"{self.cluster}-zookeeper"

    @property
    def zookeeper_peers(self) -> str:
        """The ensemble's headless Service: stable DNS names for the servers' quorum traffic."""
        return f"{self.cluster}-zookeeper-peers"

    @property
    def ha_credentials(self) -> str:
        """The Secret the library makes from object-store credentials passed as Pulumi secrets."""
        return f"{self.cluster}-ha-credentials"

    @property
    def etcd(self) -> str:
        return f"{self.cluster}-etcd"

    @property
    def etcd_peers(self) -> str:
        return f"{self.cluster}-etcd-peers"

    @property
    def zetcd(self) -> str:
        return f"{self.cluster}-zetcd"

    @property
    def submitter(self) -> str:
        """Per-job mode: the Kubernetes Job whose pod submits the job with ``flink run``."""
        return f"{self.cluster}-submit"

    @property
    def rest_service(self) -> str:
        return f"{self.cluster}-rest"

    @property
    def service_account(self) -> str:
        return f"{self.cluster}-flink"

    @property
    def role(self) -> str:
        return f"{self.cluster}-flink"

    @property
    def jobmanager_disruption_budget(self) -> str:
        """The JobManagers' PodDisruptionBudget, when a standby runs."""
        return f"{self.cluster}-jobmanager"

    @property
    def taskmanager_disruption_budget(self) -> str:
        """The standalone TaskManagers' PodDisruptionBudget."""
        return f"{self.cluster}-taskmanager"

    def network_policy(self, component: str) -> str:
        """The NetworkPolicy guarding one component's pods ('jobmanager', 'taskmanager',
        'submitter', 'zookeeper', 'etcd', 'zetcd'), named like the workload it guards:
        ``<cluster>-<component>``, and the submitter's ``<cluster>-submit``."""
        if component == "submitter":
            return self.submitter
        return f"{self.cluster}-{component}"

    @property
    def metrics(self) -> str:
        """The PodMonitor, or the ServiceMonitor and its headless Service, of the metrics ports."""
        return f"{self.cluster}-metrics"


def cluster_selector_labels(cluster: str) -> dict[str, str]:
    """What selects every pod of one cluster, whatever its component."""
    return {NAME_LABEL: APP_NAME, INSTANCE_LABEL: cluster}


def selector_labels(cluster: str, component: str) -> dict[str, str]:
    return {**cluster_selector_labels(cluster), COMPONENT_LABEL: component}


def common_labels(
    cluster: str, component: str, flink_version: str, extra: dict[str, str] | None = None
) -> dict[str, str]:
    """Recommended labels; extra user labels come first so ours always win."""
    labels = dict(extra or {})
    labels.update(selector_labels(cluster, component))
    labels["app.kubernetes.io/version"] = flink_version
    labels["app.kubernetes.io/managed-by"] = MANAGED_BY
    return labels


# Labels Flink's native client puts on what it creates (its TaskManager pods get them from
# Flink itself); native objects carry them too, so Flink's own tooling finds them.
NATIVE_LABEL_KEYS = ("app", "component", "type")


def native_labels(cluster: str, component: str) -> dict[str, str]:
    labels = {"app": cluster, "type": "flink-native-kubernetes"}
    if component in ("jobmanager", "taskmanager"):
        labels["component"] = component
    return labels
