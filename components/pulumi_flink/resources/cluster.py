"""``FlinkCluster``: the components composed by deployment mode.

- session and application: one cluster (``FlinkClusterParts``);
- per-job: one ``FlinkJobCluster`` per job, each a session cluster of its own plus the
  client that submits the job.
"""

import inspect
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from pulumi_flink.package.args import FlinkClusterArgs
from pulumi_flink.package.package_args import HA_CREDENTIALS, credentials_problem, spec_from_args
from pulumi_flink.resources.collisions import cluster_claims, kubernetes_provider, planning, program_claims
from pulumi_flink.resources.configuration import FlinkConfiguration
from pulumi_flink.resources.disruption import FlinkDisruptionBudgets
from pulumi_flink.resources.ha import (
    EtcdCluster,
    FlinkHaStore,
    FlinkHighAvailability,
    Zetcd,
    ZooKeeperEnsemble,
    credentials_secret,
)
from pulumi_flink.resources.meta import TYPE_PREFIX, ensure_valid
from pulumi_flink.resources.metrics import FlinkMetrics
from pulumi_flink.resources.network import FlinkNetworkPolicies
from pulumi_flink.resources.rbac import FlinkRbac
from pulumi_flink.resources.services import FlinkServices
from pulumi_flink.resources.workloads import JobManager, JobSubmitter, TaskManager, TaskManagerPodTemplate
from pulumi_flink.spec import FlinkClusterSpec, JobSpec, PerJobSpec
from pulumi_flink.spec.errors import FlinkSpecError, Problem, raise_if_any
from pulumi_flink.validation import check_ha_credentials, cluster_warnings


@dataclass(frozen=True)
class FlinkClusterParts:
    """The components of one running Flink cluster, children of ``owner``."""

    configuration: FlinkConfiguration
    rbac: FlinkRbac
    services: FlinkServices
    jobmanager: JobManager
    taskmanager: TaskManager | None
    """The TaskManager Deployment of a standalone cluster."""
    taskmanager_template: TaskManagerPodTemplate | None
    """Native: the pod template the JobManager creates TaskManager pods from."""
    high_availability: FlinkHighAvailability | None
    """The HA cluster id and, for ZooKeeper, the ensemble; None without HA."""
    disruption: FlinkDisruptionBudgets
    """The JobManagers' (with a standby) and standalone TaskManagers' disruption budgets."""
    network: FlinkNetworkPolicies
    """The NetworkPolicies of the Flink pods and of the store the cluster runs."""
    metrics: FlinkMetrics
    """The PodMonitor or ServiceMonitor, when asked for."""

    @classmethod
    def build(
        cls,
        owner: pulumi.Resource,
        name: str,
        spec: FlinkClusterSpec,
        submitted: JobSpec | None = None,
    ) -> "FlinkClusterParts":
        child = pulumi.ResourceOptions(parent=owner)
        high_availability = None
        if spec.high_availability.enabled:
            high_availability = FlinkHighAvailability(f"{name}-ha", spec, opts=child)
        ha_cluster_id = high_availability.ha_cluster_id if high_availability else None
        configuration = FlinkConfiguration(f"{name}-configuration", spec, ha_cluster_id, opts=child)
        rbac = FlinkRbac(f"{name}-rbac", spec, opts=child)
        services = FlinkServices(f"{name}-services", spec, opts=child)
        needs: list[pulumi.Resource] = [configuration.config_map, *rbac.pod_needs]
        rendered = configuration.rendered
        account, token = rbac.service_account_name, rbac.automount_token
        taskmanager = template = None
        if spec.native:
            template = TaskManagerPodTemplate(
                f"{name}-taskmanager-template", spec, rbac.taskmanager_token, opts=child
            )
            needs.append(template.config_map)
        else:
            taskmanager = TaskManager(
                f"{name}-taskmanager",
                spec,
                rendered,
                account,
                rbac.taskmanager_token,
                needs=needs,
                opts=child,
            )
        jobmanager = JobManager(
            f"{name}-jobmanager", spec, rendered, account, token, needs=needs, submitted=submitted, opts=child
        )
        disruption = FlinkDisruptionBudgets(f"{name}-disruption", spec, opts=child)
        network = FlinkNetworkPolicies(f"{name}-network", spec, submitter=submitted is not None, opts=child)
        metrics = FlinkMetrics(f"{name}-metrics", spec, opts=child)
        return cls(
            configuration, rbac, services, jobmanager, taskmanager, template, high_availability, disruption,
            network, metrics,
        )

    def rest_endpoint(self, spec: FlinkClusterSpec) -> pulumi.Output[str]:
        """The in-cluster URL of the REST API and web UI."""
        return pulumi.Output.all(self.services.rest_service_name, spec.namespace).apply(
            lambda parts: f"http://{parts[0]}.{parts[1]}.svc:{spec.ports.rest}"
        )


def _outputs_by_name(outputs: dict[str, pulumi.Output[str]]) -> pulumi.Output[dict[str, str]]:
    """name → value, resolved (``Output.all`` of no outputs would give a list, not a dict)."""
    if not outputs:
        empty: dict[str, str] = {}
        return pulumi.Output.from_input(empty)
    return pulumi.Output.all(**outputs)


class FlinkJobCluster(pulumi.ComponentResource):
    """Per-job mode: one job's dedicated, isolated cluster, and the client that submits it.

    ``spec`` is the job's own cluster (``FlinkClusterSpec.job_cluster``): a session
    cluster named ``<cluster>-<job>``, with its own ConfigMap, ServiceAccount, Services,
    JobManager and TaskManagers. A ``JobSubmitter`` runs ``flink run`` against it.
    """

    spec: FlinkClusterSpec
    job: JobSpec
    parts: FlinkClusterParts
    submitter: JobSubmitter
    rest_endpoint: pulumi.Output[str]
    cluster_name: pulumi.Output[str]

    def __init__(
        self, name: str, spec: FlinkClusterSpec, job: JobSpec, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        ensure_valid(spec)
        super().__init__(f"{TYPE_PREFIX}:FlinkJobCluster", name, None, opts)
        self.spec, self.job = spec, job
        self.parts = FlinkClusterParts.build(self, name, spec, submitted=job)
        # The submission must reach the JobManager that will run it: wait for its rollout.
        needs = [self.parts.configuration.config_map, self.parts.jobmanager.workload]
        self.submitter = JobSubmitter(
            f"{name}-submitter",
            spec,
            job,
            self.parts.configuration.rendered,
            self.parts.rbac.service_account_name,
            needs=needs,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.rest_endpoint = self.parts.rest_endpoint(spec)
        self.cluster_name = pulumi.Output.from_input(spec.name)
        self.register_outputs({"restEndpoint": self.rest_endpoint, "clusterName": self.cluster_name})


class FlinkCluster(pulumi.ComponentResource):
    """A Flink cluster on Kubernetes, in any deployment mode (``mode``, ``native``).

    ``args`` is the whole spec as plain values (``FlinkClusterArgs``), or in Python a
    ``FlinkClusterSpec`` with ``ha_credentials`` beside it; only ``haCredentials`` values may be
    secrets or outputs. Bad input raises ``FlinkSpecError`` before anything is registered.
    Pass your own ``provider``/``providers`` and ``parent`` in ``opts``: every child
    inherits them. Per-job mode makes one ``FlinkJobCluster`` per job (``job_clusters``).
    Two ``FlinkCluster`` of one program that would share a Kubernetes object, an HA cluster id
    on one store or a node port (through one Kubernetes provider) are refused, the second
    before it registers anything.
    """

    # The class-level annotations are the component's outputs in the package schema.
    namespace: pulumi.Output[str]
    """The namespace of every object of the cluster."""
    cluster_name: pulumi.Output[str]
    """The cluster name: prefix of every object name, and native mode's ``kubernetes.cluster-id``."""
    jobmanager_service_name: pulumi.Output[str] | None
    """Session and application mode: the Service TaskManagers and clients reach the JobManager by."""
    rest_service_name: pulumi.Output[str] | None
    """Session and application mode: the Service of the REST API and web UI."""
    rest_endpoint: pulumi.Output[str] | None
    """Session and application mode: the in-cluster URL of the REST API and web UI."""
    rest_endpoints: pulumi.Output[dict[str, str]]
    """Cluster name (per-job mode: job name) -> in-cluster URL of its REST API."""
    ha_cluster_ids: pulumi.Output[dict[str, str]]
    """With HA: cluster name (per-job mode: job name) -> the HA cluster id of this incarnation."""
    ha_cleanup: pulumi.Output[dict[str, str]]
    """With HA: cluster name (per-job mode: job name) -> where its HA data stays after a destroy."""

    def __init__(
        self,
        name: str,
        args: FlinkClusterArgs | FlinkClusterSpec,
        opts: pulumi.ResourceOptions | None = None,
        *,
        ha_credentials: Mapping[str, pulumi.Input[str]] | None = None,
    ) -> None:
        spec, ha_credentials = cluster_input(args, ha_credentials)
        raise_if_any(check_ha_credentials(spec, ha_credentials))
        requested = spec
        if ha_credentials is not None:
            ha = spec.high_availability.model_copy(update={"credentials_secret": spec.names.ha_credentials})
            spec = spec.model_copy(update={"high_availability": ha})
        ensure_valid(spec)
        if not planning():  # a plan is the nested build cluster_claims makes of this very spec
            claims = cluster_claims(requested, tuple(ha_credentials or ()))
            raise_if_any(program_claims(kubernetes_provider(opts)).claim(f"FlinkCluster {name!r}", claims))
        super().__init__(f"{TYPE_PREFIX}:FlinkCluster", name, None, opts)
        self.spec: FlinkClusterSpec = spec
        """The validated spec the cluster was built from."""
        self.ha_credentials: k8s.core.v1.Secret | None = None
        """The Secret made from ``ha_credentials``, if given."""
        if ha_credentials is not None:
            self.ha_credentials = credentials_secret(
                name, spec, ha_credentials, pulumi.ResourceOptions(parent=self)
            )
        if not planning():  # a plan's warnings would be the real cluster's twice
            for warning in cluster_warnings(spec):
                pulumi.log.warn(warning, resource=self)

        self.parts: FlinkClusterParts | None = None
        """Session and application mode: the components of the cluster."""
        self.job_clusters: dict[str, FlinkJobCluster] = {}
        """Per-job mode: job name -> the job's own cluster."""
        self.zookeeper: ZooKeeperEnsemble | None = None
        """Per-job mode with a ZooKeeper store: the ensemble every job cluster shares."""
        self.etcd: EtcdCluster | None = None
        self.zetcd: Zetcd | None = None
        """Per-job mode with zetcd: the etcd cluster and zetcd every job cluster shares."""
        self.ha_store: FlinkHaStore | None = None
        """Per-job mode with a store the library runs: the component holding it."""
        self.store_network: FlinkNetworkPolicies | None = None
        """Per-job mode: the NetworkPolicies of the shared store (none without one)."""
        self.jobmanager_service_name = self.rest_service_name = self.rest_endpoint = None
        if spec.mode == "per-job":
            if spec.high_availability.store_components:
                # `<name>-ha`, as in session mode; aliases keep the store's earlier URNs.
                self.ha_store = FlinkHaStore(
                    f"{name}-ha", spec, earlier_name=name, opts=pulumi.ResourceOptions(parent=self)
                )
                self.zookeeper, self.etcd = self.ha_store.ensemble, self.ha_store.etcd
                self.zetcd = self.ha_store.zetcd
            # The shared store's NetworkPolicies; each job cluster makes its own pods'.
            self.store_network = FlinkNetworkPolicies(
                f"{name}-network", spec, opts=pulumi.ResourceOptions(parent=self)
            )
            self.job_clusters = {job.name: self._job_cluster(name, job) for job in spec.jobs}
            endpoints = {job: cluster.rest_endpoint for job, cluster in self.job_clusters.items()}
            self.rest_endpoints = _outputs_by_name(endpoints)
        else:
            self.parts = FlinkClusterParts.build(self, name, spec)
            self.jobmanager_service_name = self.parts.services.jobmanager_service_name
            self.rest_service_name = self.parts.services.rest_service_name
            self.rest_endpoint = self.parts.rest_endpoint(spec)
            self.rest_endpoints = _outputs_by_name({spec.name: self.rest_endpoint})
        self.namespace = pulumi.Output.from_input(spec.namespace)
        self.cluster_name = pulumi.Output.from_input(spec.name)
        parts_by_name = (
            {spec.name: self.parts}
            if self.parts
            else {job: cluster.parts for job, cluster in self.job_clusters.items()}
        )
        available = {key: p.high_availability for key, p in parts_by_name.items() if p.high_availability}
        self.ha_cluster_ids = _outputs_by_name({key: ha.ha_cluster_id for key, ha in available.items()})
        self.ha_cleanup = _outputs_by_name({key: ha.cleanup for key, ha in available.items()})
        self.register_outputs(
            {
                "haClusterIds": self.ha_cluster_ids,
                "haCleanup": self.ha_cleanup,
                "namespace": self.namespace,
                "clusterName": self.cluster_name,
                "jobmanagerServiceName": self.jobmanager_service_name,
                "restServiceName": self.rest_service_name,
                "restEndpoint": self.rest_endpoint,
                "restEndpoints": self.rest_endpoints,
            }
        )

    def _job_cluster(self, name: str, job: PerJobSpec) -> FlinkJobCluster:
        return FlinkJobCluster(
            f"{name}-{job.name}", self.spec.job_cluster(job), job, opts=pulumi.ResourceOptions(parent=self)
        )


def cluster_input(
    args: FlinkClusterArgs | FlinkClusterSpec, ha_credentials: Mapping[str, pulumi.Input[str]] | None
) -> tuple[FlinkClusterSpec, Mapping[str, pulumi.Input[str]] | None]:
    """The spec ``FlinkCluster`` is asked for, and its ``haCredentials``: a spec as it is (the
    stack program's, already parsed and checked: no trip through args and back), or args
    validated into one (``spec_from_args``), which carry their own credentials."""
    if isinstance(args, FlinkClusterSpec):
        problem = credentials_problem(ha_credentials)
        if problem is not None:
            raise FlinkSpecError([problem])
        return args, ha_credentials
    if ha_credentials is not None:
        fix = f"put them in args as {HA_CREDENTIALS}, or pass a FlinkClusterSpec as args"
        raise FlinkSpecError([Problem("haCredentials", "are given beside FlinkClusterArgs.", fix)])
    return spec_from_args(args)


# The package schema takes the class docstring verbatim; indented lines would be preformatted
# text in the generated SDKs' docs.
FlinkCluster.__doc__ = inspect.cleandoc(FlinkCluster.__doc__ or "")
# The package schema is inferred from the annotation of ``args``, which must be one TypedDict:
# the other languages pass FlinkClusterArgs; a FlinkClusterSpec is for Python callers only.
FlinkCluster.__init__.__annotations__["args"] = FlinkClusterArgs
