# GENERATED FILE: do not edit. Regenerate with `python -m scripts.generators.args` after changing
# the spec; tests/unit/package/test_package.py fails while this file is stale.
"""FlinkCluster's inputs for the Pulumi component package, generated from ``pulumi_flink.spec``.

One TypedDict per spec model, named after it with "Args" (``TaskManagerArgs``), keys in
snake_case (the package schema camel-cases them to the spec's own keys), plain values only:
FlinkCluster turns them into a ``FlinkClusterSpec`` before it registers anything.
``Literal`` fields are StrEnums whose values are the spec's. Docstrings continue at column 0
on purpose: the component analyzer copies them into the schema verbatim.
"""

from enum import StrEnum
from typing import Any, NotRequired, Required, TypedDict

import pulumi


class JobManagerWorkload(StrEnum):
    """Standalone application mode only: run the JobManager as a Kubernetes ``Job`` (the
default, as in Flink's own manifests: a bounded job completes and its pod is not
restarted; a failing one is retried up to 6 times, each time from the start or the
savepoint) or as a ``Deployment`` (always keeps a pod: for never-ending streaming jobs;
a bounded job would run again every time it finishes). Every other mode runs it as a
Deployment. The TaskManager Deployment stays up after the job ends either way."""

    Job = "Job"
    Deployment = "Deployment"


class RestExposure(StrEnum):
    """Type of the REST Service: 'ClusterIP' (in-cluster only), 'NodePort' or 'LoadBalancer'."""

    ClusterIP = "ClusterIP"
    NodePort = "NodePort"
    LoadBalancer = "LoadBalancer"


class HighAvailabilityType(StrEnum):
    """The store the JobManagers elect their leader in; 'none': no high availability.
'zookeeper': a ZooKeeper ensemble the library runs (or ``zookeeper.existingQuorum``).
'zetcd': an etcd cluster with zetcd in front, which Flink uses as its ZooKeeper; zetcd
speaks only ZooKeeper 3.4 and lacks the container nodes of Flink 1.15+'s Curator 5, so
it is for Flink 1.14 and earlier. 'kubernetes': Flink's leader election and metadata in
ConfigMaps; nothing else to run."""

    NoneValue = "none"
    Zookeeper = "zookeeper"
    Zetcd = "zetcd"
    Kubernetes = "kubernetes"


class SpreadTopology(StrEnum):
    """'auto': 'node' when high availability is on, 'none' without. 'node': over nodes
(``kubernetes.io/hostname``): with enough nodes, a lost node takes at most one
JobManager, and TaskManagers are spread as evenly as the nodes allow. 'zone': over zones
(``topology.kubernetes.io/zone``) and, as a preference, over the nodes within them.
'none': no constraint. Either way ``pod.affinity`` applies as well."""

    Auto = "auto"
    NoneValue = "none"
    Node = "node"
    Zone = "zone"


class ImagePullPolicy(StrEnum):
    """``imagePullPolicy`` of every container the cluster runs: Flink's, the jar fetch and
the library's HA stores."""

    Always = "Always"
    IfNotPresent = "IfNotPresent"
    Never = "Never"


class ConfigFile(StrEnum):
    """Flink config file: 'auto' is ``flink-conf.yaml`` on 1.x and ``config.yaml`` on 2.x;
``config.yaml`` may be chosen from 1.19 on; ``flink-conf.yaml`` is refused on 2.x."""

    Auto = "auto"
    FlinkConfYaml = "flink-conf.yaml"
    ConfigYaml = "config.yaml"


class Mode(StrEnum):
    """'session': a long-running cluster that jobs are submitted to. 'application': the
cluster runs ``job``, and ``main()`` runs on the JobManager. 'per-job': every entry of
``jobs`` gets its own isolated cluster, and a client pod submits it with ``flink run``
(``main()`` runs on the client)."""

    Session = "session"
    Application = "application"
    PerJob = "per-job"


class JobManagerArgs(TypedDict, total=False):
    """The JobManager. Defaults: 1 CPU, 1600Mi (Flink's own default process size), 1 replica."""

    cpu: str
    """CPU request, and limit, as a Kubernetes quantity ('1', '500m')."""
    memory: str
    """Container memory request and limit, and Flink's process size
(``jobmanager.memory.process.size``; 1600Mi is Flink's default)."""
    replicas: int
    """JobManager pods. More than one is a standby and needs high availability."""
    workload: NotRequired[JobManagerWorkload]
    """Standalone application mode only: run the JobManager as a Kubernetes ``Job`` (the
default, as in Flink's own manifests: a bounded job completes and its pod is not
restarted; a failing one is retried up to 6 times, each time from the start or the
savepoint) or as a ``Deployment`` (always keeps a pod: for never-ending streaming jobs;
a bounded job would run again every time it finishes). Every other mode runs it as a
Deployment. The TaskManager Deployment stays up after the job ends either way."""


class TaskManagerArgs(TypedDict, total=False):
    """The TaskManagers. Defaults: 1 CPU, 1728Mi (Flink's default), 1 replica, 1 slot."""

    cpu: str
    """CPU request, and limit, as a Kubernetes quantity ('1', '500m')."""
    memory: str
    """Container memory request and limit, and Flink's process size (``taskmanager.memory.process.size``)."""
    replicas: int
    """TaskManager pods in the Deployment (standalone); native mode starts pods on demand instead."""
    slots: int
    """``taskmanager.numberOfTaskSlots``: parallel task slots per TaskManager."""


class PortsArgs(TypedDict, total=False):
    """Container ports. Defaults are those of Flink's own Kubernetes examples."""

    rpc: int
    """``jobmanager.rpc.port``."""
    blob: int
    """``blob.server.port``: fixed, so the internal Service can carry it."""
    rest: int
    """``rest.port``: REST API and web UI."""
    task_manager_rpc: int
    """``taskmanager.rpc.port``."""
    task_manager_data: int
    """``taskmanager.data.port``: fixed instead of Flink's random port, so policies can name it."""


class RestArgs(TypedDict, total=False):
    """How the REST endpoint (API and web UI) is exposed. Default: a ClusterIP Service."""

    exposure: RestExposure
    """Type of the REST Service: 'ClusterIP' (in-cluster only), 'NodePort' or 'LoadBalancer'."""
    node_port: NotRequired[int]
    """Fixed node port (30000-32767), with ``exposure: NodePort`` only; unset lets Kubernetes pick one."""
    annotations: dict[str, str]
    """Annotations on the REST Service, e.g. for a cloud load balancer."""


class PodOptionsArgs(TypedDict, total=False):
    """Hooks applied to every Flink pod (JobManager and TaskManager).

Entries are plain Kubernetes objects in their YAML form (camelCase keys), checked as the
API server checks them (``kubernetes_types``), and reach the pod spec unchanged.
Defaults: none of each; the pods run as the image's non-root ``flink`` user (9999) with a
read-only root filesystem."""

    env: list[dict[str, Any]]
    """Extra container env entries (``name`` and ``value`` or ``valueFrom``). Names the library
sets in the same pods (e.g. ``POD_IP`` under HA) are refused."""
    volumes: list[dict[str, Any]]
    """Extra pod volumes (a ``name`` and one source); mount them with ``volumeMounts``. The
library's own volume names are refused."""
    volume_mounts: list[dict[str, Any]]
    """Extra mounts in the Flink container (``name`` of a volume and an absolute ``mountPath``).
A path at, under or above one the library mounts for the spec (``/opt/flink/conf``,
``/tmp``, ``/opt/flink/log``, and as the spec needs them the pod template's directory,
``/opt/flink/usrlib``, ``/opt/flink/artifacts``, ``/flink-ha``, plugin directories) is refused."""
    node_selector: dict[str, str]
    """Node labels a Flink pod's node must carry."""
    tolerations: list[dict[str, Any]]
    """Taints the Flink pods tolerate."""
    affinity: NotRequired[dict[str, Any]]
    """A Kubernetes ``affinity`` for the Flink pods; unset: none."""
    image_pull_secrets: list[str]
    """Names of Secrets in the namespace used to pull the image."""
    service_account_name: NotRequired[str]
    """Use this existing ServiceAccount; unset creates ``<name>-flink``."""
    run_as_user: int
    """User id of every process in the Flink pods (pod ``securityContext.runAsUser``): 9999,
the official image's ``flink`` user, owner of its files. Always set, as Kubernetes cannot
tell the official images' own user is not root (1.x images start as root, 2.x as the
non-numeric user 'flink'). 0 (root) is refused: the pods run with ``runAsNonRoot``. Under
a policy that assigns ids from a range (OpenShift), use an id from the namespace's range."""
    run_as_group: int
    """Primary group id of every process in the Flink pods: 9999, the image's ``flink``
group (0 is allowed: only the user must not be root)."""
    fs_group: int
    """Group that owns the Flink pods' volumes (the library's emptyDirs, and claims whose
driver supports it; changed only when a volume's root does not match already,
``fsGroupChangePolicy: OnRootMismatch``), and a supplementary group of every process, so
it can write them: 9999."""
    read_only_root_filesystem: bool
    """A read-only root filesystem for every container of the Flink pods. Processes write only
to the emptyDirs the library mounts (``/tmp``: temporary files, blobs, uploaded jars, the
TaskManager's working directory with local state and RocksDB files; ``/opt/flink/log``;
``/opt/flink/usrlib`` for a fetched jar; ``/opt/flink/plugins/<plugin>`` for each plugin
that ``ENABLE_BUILT_IN_PLUGINS`` enables) and to your volumes not mounted ``readOnly``.
Local directories set in ``flinkConfiguration`` must then lie on one of those. False:
the root filesystem is writable where the image allows."""
    priority_class_name: NotRequired[str]
    """An existing PriorityClass for the Flink pods (e.g. so the scheduler preempts batch
work rather than a streaming job's TaskManagers); unset: the cluster's default priority."""
    termination_grace_period_seconds: NotRequired[int]
    """Seconds a Flink pod gets between SIGTERM and SIGKILL when it is stopped (Flink cancels
its tasks and cleans up local state in that time); unset: Kubernetes' default, 30."""


class JobArgs(TypedDict, total=False):
    """The job of an application cluster, or one job of a per-job deployment.

Only ``jar`` is required."""

    jar: Required[str]
    """The job's jar: a path in the image ('/opt/flink/usrlib/job.jar' or
'local:///opt/flink/usrlib/job.jar'), or an http(s) URL that an init container downloads
into ``/opt/flink/usrlib`` before Flink starts (an emptyDir there, which hides whatever
the image has in that directory)."""
    entry_class: NotRequired[str]
    """The class whose ``main()`` builds the job; unset uses the jar manifest's ``Main-Class``."""
    args: list[str]
    """Arguments passed to ``main()``."""
    parallelism: NotRequired[int]
    """The job's parallelism; unset uses the cluster's ``parallelism``. It becomes
``parallelism.default`` in application mode and ``flink run --parallelism`` in per-job mode."""
    savepoint: NotRequired[str]
    """Start from this savepoint or retained checkpoint (a path, e.g. 's3://bucket/savepoints/sp-1');
unset starts empty."""
    allow_non_restored_state: bool
    """With ``savepoint``: skip savepoint state that maps to no operator of the job, instead of failing."""
    job_id: NotRequired[str]
    """A fixed job id (32 lowercase hex digits); per-job mode's client submits the job with it.
Unset: Flink picks one, except that in application mode with high availability a fixed id
is derived from the namespace and the cluster name, so a restarted JobManager recovers the
job instead of starting a fresh one."""
    jar_fetch_image: str
    """Image of the init container that downloads a jar URL (it runs ``curl``)."""


class PerJobArgs(TypedDict, total=False):
    """One job of a per-job deployment: a name, the job, and optionally its own TaskManagers."""

    jar: Required[str]
    """The job's jar: a path in the image ('/opt/flink/usrlib/job.jar' or
'local:///opt/flink/usrlib/job.jar'), or an http(s) URL that an init container downloads
into ``/opt/flink/usrlib`` before Flink starts (an emptyDir there, which hides whatever
the image has in that directory)."""
    entry_class: NotRequired[str]
    """The class whose ``main()`` builds the job; unset uses the jar manifest's ``Main-Class``."""
    args: list[str]
    """Arguments passed to ``main()``."""
    parallelism: NotRequired[int]
    """The job's parallelism; unset uses the cluster's ``parallelism``. It becomes
``parallelism.default`` in application mode and ``flink run --parallelism`` in per-job mode."""
    savepoint: NotRequired[str]
    """Start from this savepoint or retained checkpoint (a path, e.g. 's3://bucket/savepoints/sp-1');
unset starts empty."""
    allow_non_restored_state: bool
    """With ``savepoint``: skip savepoint state that maps to no operator of the job, instead of failing."""
    job_id: NotRequired[str]
    """A fixed job id (32 lowercase hex digits); per-job mode's client submits the job with it.
Unset: Flink picks one, except that in application mode with high availability a fixed id
is derived from the namespace and the cluster name, so a restarted JobManager recovers the
job instead of starting a fresh one."""
    jar_fetch_image: str
    """Image of the init container that downloads a jar URL (it runs ``curl``)."""
    name: Required[str]
    """The job's name: its dedicated cluster is called ``<cluster name>-<job name>``, at most
40 characters together."""
    task_manager: NotRequired[TaskManagerArgs]
    """This job's TaskManagers; unset uses the cluster's ``taskManager``."""


class ZooKeeperArgs(TypedDict, total=False):
    """The ZooKeeper ensemble the library runs for Flink, or an existing quorum."""

    replicas: int
    """Servers: odd, so that a majority survives (3 tolerates one lost server, 5 two)."""
    image: str
    """The official ZooKeeper image (its ``zkServer.sh`` on PATH)."""
    cpu: str
    """CPU request and limit of each server, as a Kubernetes quantity."""
    memory: str
    """Memory request and limit of each server (ZooKeeper's JVM heap is half of it)."""
    storage: str
    """Each server's persistent volume for its data."""
    storage_class_name: NotRequired[str]
    """Storage class of the data volumes; unset uses the cluster's default."""
    existing_quorum: NotRequired[str]
    """Use this ZooKeeper instead of running one: 'host:port,host:port'. The ensemble
fields are then unused."""


class EtcdArgs(TypedDict, total=False):
    """The etcd cluster behind zetcd."""

    replicas: int
    """Servers: odd, so that a majority survives (3 tolerates one lost server, 5 two)."""
    image: str
    """The etcd image (``etcd`` on PATH)."""
    cpu: str
    """CPU request and limit of each server, as a Kubernetes quantity."""
    memory: str
    """Memory request and limit of each server (ZooKeeper's JVM heap is half of it)."""
    storage: str
    """Each server's persistent volume for its data."""
    storage_class_name: NotRequired[str]
    """Storage class of the data volumes; unset uses the cluster's default."""


class ZetcdArgs(TypedDict, total=False):
    """zetcd: the ZooKeeper 3.4 API served from etcd, for Flink 1.14 and earlier."""

    image: str
    """The zetcd image."""
    replicas: int
    """Stateless (sessions live in etcd leases), so more than one keeps the API up."""
    allow_unsupported_flink_version: bool
    """Use zetcd with Flink 1.15 or later anyway (see ``highAvailability.type``). Only after
you have tested leader election and recovery with your Flink release."""


class HighAvailabilityArgs(TypedDict, total=False):
    """JobManager high availability: leader election and the metadata that lets a new
JobManager recover running jobs. Default: off."""

    type: HighAvailabilityType
    """The store the JobManagers elect their leader in; 'none': no high availability.
'zookeeper': a ZooKeeper ensemble the library runs (or ``zookeeper.existingQuorum``).
'zetcd': an etcd cluster with zetcd in front, which Flink uses as its ZooKeeper; zetcd
speaks only ZooKeeper 3.4 and lacks the container nodes of Flink 1.15+'s Curator 5, so
it is for Flink 1.14 and earlier. 'kubernetes': Flink's leader election and metadata in
ConfigMaps; nothing else to run."""
    storage_dir: NotRequired[str]
    """Required with HA: durable storage shared by every JobManager and TaskManager, for HA
metadata (``<storageDir>/ha``), checkpoints (``/checkpoints``) and savepoints
(``/savepoints``). An object store URI (s3://, gs://, abfs://, hdfs://, ...) or
``file:///flink-ha/...`` on ``volumeClaim``."""
    volume_claim: NotRequired[str]
    """An existing ReadWriteMany PersistentVolumeClaim, mounted at /flink-ha in every Flink
pod; ``storageDir`` is then ``file:///flink-ha`` or a directory below it."""
    credentials_secret: NotRequired[str]
    """An existing Secret whose keys become environment variables of every Flink pod (e.g.
AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for s3://): credentials never go into the
ConfigMap."""
    zookeeper: ZooKeeperArgs
    """With type 'zookeeper': the ensemble the library runs (3 servers), or ``existingQuorum``."""
    etcd: EtcdArgs
    """With type 'zetcd': the etcd cluster that stores the data (3 members)."""
    zetcd: ZetcdArgs
    """With type 'zetcd': the zetcd servers in front of etcd."""
    path_root: str
    """``high-availability.zookeeper.path.root``: the ZooKeeper node under which each cluster
id keeps its data."""
    cluster_id: NotRequired[str]
    """The HA cluster id. Unset: ``<name>-<8 random hex digits>``, drawn once per
incarnation by pulumi-random and stable across updates, so a cluster destroyed and
created again never recovers an old job from leftover HA data."""
    fast_failover: bool
    """Tune ZooKeeper session and heartbeat timeouts so a killed leader is replaced in
seconds, not the ~minute Flink's defaults take. False keeps Flink's defaults."""


class ProbesArgs(TypedDict, total=False):
    """Kubernetes health probes of the Flink containers. Default: on, timed for JVM start-up.

JobManager: startup and readiness probes that GET the REST API's ``/config`` (it answers
once the REST endpoint runs and knows the leading JobManager; readiness also decides which
JobManagers the Services send traffic to), and a liveness probe that connects to the RPC
port. TaskManagers: startup and liveness probes that connect to their RPC port
(``ports.taskManagerRpc``). Native mode: the JobManager Deployment has them, and Flink
creates every TaskManager pod from the pod template, which carries the TaskManager's."""

    enabled: bool
    """False: no probes; a Flink container counts as started, ready and alive while its
process runs."""
    startup_timeout_seconds: int
    """How long a Flink process may take to start (JVM start-up, the REST endpoint, finding
the leading JobManager, which after a failover can wait for the old leader's lease)
before Kubernetes restarts its container. Readiness and liveness are checked only after
it has started."""
    job_check: bool
    """Application mode only. True: the JobManager's liveness probe also asks its own REST
API (``GET /jobs``, in bash: the image needs no curl) whether the job is RUNNING (with a
fixed job id, that job), and Kubernetes restarts the JobManager when it has not been for
``jobCheckGraceSeconds``. False: a JobManager whose job is stuck (failed and kept,
restarting forever, never submitted) keeps running."""
    job_check_grace_seconds: int
    """With ``jobCheck``: how long the job may be in any other state than RUNNING (created,
restarting, recovering after a failover, waiting for new TaskManager pods) before the
JobManager is restarted. Keep it above your restart strategy's longest delay plus the
time new TaskManager pods take to start."""


class SpreadArgs(TypedDict, total=False):
    """How the JobManager pods and the TaskManager pods each spread over the cluster
(``topologySpreadConstraints``, max skew 1, each counting only its own cluster's pods of its
own component). Default: over nodes with high availability, not at all without."""

    topology: SpreadTopology
    """'auto': 'node' when high availability is on, 'none' without. 'node': over nodes
(``kubernetes.io/hostname``): with enough nodes, a lost node takes at most one
JobManager, and TaskManagers are spread as evenly as the nodes allow. 'zone': over zones
(``topology.kubernetes.io/zone``) and, as a preference, over the nodes within them.
'none': no constraint. Either way ``pod.affinity`` applies as well."""
    required: bool
    """False: a preference (``whenUnsatisfiable: ScheduleAnyway``): pods still start when
there are too few nodes or zones. True: a rule (``DoNotSchedule``) for the chosen topology:
a pod stays Pending rather than skew it (spreading over nodes within zones stays a
preference)."""


class NetworkPolicyArgs(TypedDict, total=False):
    """Kubernetes NetworkPolicies that let only the traffic each part of the cluster needs reach
its pods. Default: on, the REST API reachable only from the cluster's own pods.

Per cluster (per-job mode: per job cluster): the JobManagers accept RPC, blob and REST
from the cluster's own JobManager, TaskManager and (per-job) submitter pods; the
TaskManagers accept RPC and data from them. ``restFrom`` adds who may reach REST,
``metricsFrom`` who may scrape ``metrics.port``. The library's ZooKeeper, etcd and zetcd
accept clients only from the Flink pods that use them and peers only from each other,
and send only to their peers and DNS (``dnsTo``). The Flink pods' egress stays open:
they reach the object store, the Kubernetes API (native mode, Kubernetes HA) and your
sources and sinks, whose addresses the library cannot know. Enforced only where the
cluster's network plugin implements NetworkPolicy (Calico, Cilium, ...)."""

    enabled: bool
    """Create the NetworkPolicies. False: none; every pod may reach the Flink and store pods
unless policies of your own say otherwise."""
    rest_from: list[dict[str, Any]]
    """Who may reach the REST API and web UI (``ports.rest``) besides the cluster's own pods:
Kubernetes NetworkPolicyPeer objects, e.g. ``{namespaceSelector: {matchLabels:
{kubernetes.io/metadata.name: airflow}}}`` or ``{ipBlock: {cidr: 10.0.0.0/8}}`` (clients
of a NodePort or LoadBalancer). Empty: only the cluster's own pods (and ``kubectl
port-forward``, which enters through the kubelet, not the pod network)."""
    metrics_from: list[dict[str, Any]]
    """Who may scrape the metrics port (``metrics.port``) of the JobManagers and
TaskManagers: NetworkPolicyPeers naming your Prometheus, e.g. ``{namespaceSelector:
{matchLabels: {kubernetes.io/metadata.name: monitoring}}, podSelector: {matchLabels:
{app.kubernetes.io/name: prometheus}}}``. Empty: nobody; required with
``metrics.podMonitor`` or ``metrics.serviceMonitor``."""
    dns_to: list[dict[str, Any]]
    """Where the library's ZooKeeper, etcd and zetcd pods may send DNS queries (UDP and TCP
53), besides their peers the only egress they have: the ``k8s-app: kube-dns`` pods in
``kube-system``. Change it for another DNS, e.g. ``[{ipBlock: {cidr: 169.254.20.10/32}}]``
for NodeLocal DNSCache."""


class MetricsArgs(TypedDict, total=False):
    """Flink's metrics for Prometheus. Default: Flink's Prometheus reporter on every
JobManager and TaskManager on port 9249, and no Prometheus operator objects."""

    enabled: bool
    """Configure Flink's Prometheus reporter (``metrics.reporter.prom.*``; its plugin ships
in the official image) on every JobManager and TaskManager: it serves every metric in
Prometheus' text format on ``port``, a container port named ``metrics``. False: the
library configures no reporter (reporters of your own in ``flinkConfiguration`` run
as you set them)."""
    port: int
    """``metrics.reporter.prom.port``: the port of the reporter's HTTP server (Flink's default)."""
    pod_monitor: bool
    """Create a Prometheus operator ``PodMonitor`` (monitoring.coreos.com/v1) named
``<name>-metrics`` that scrapes the ``metrics`` port of every JobManager and TaskManager
pod of the cluster (native TaskManagers included). Needs the operator's CRDs."""
    service_monitor: bool
    """Create a headless Service ``<name>-metrics`` over the ``metrics`` ports and a
Prometheus operator ``ServiceMonitor`` of the same name that scrapes it. Needs the
operator's CRDs. Use it or ``podMonitor``, not both."""
    monitor_labels: dict[str, str]
    """Extra labels on the PodMonitor or ServiceMonitor, for your Prometheus'
``podMonitorSelector``/``serviceMonitorSelector`` (e.g. ``release: prometheus`` for
kube-prometheus-stack)."""


class LoggingArgs(TypedDict, total=False):
    """Where Flink's processes log. Default: stdout only (``kubectl logs``, and whatever
ships the nodes' container logs)."""

    to_file: bool
    """Also write each JobManager's and TaskManager's log into ``/opt/flink/log``, as Flink
does outside containers: a file per process named by Flink's start scripts, rolled by
size (log4j's RollingFile appender), which the web UI's log pages also show. On an
emptyDir (limited to the rolled files' size) unless ``volumeClaim``."""
    volume_claim: NotRequired[str]
    """With ``toFile``: an existing PersistentVolumeClaim (ReadWriteMany when more than one
pod runs) for the log files instead of an emptyDir, so they outlive the pods; each pod
writes into its own directory on it, named after the pod. Nothing deletes old pods'
directories."""
    max_file_size: str
    """With ``toFile``: the size at which a log file is rolled over, in log4j's units
(``KB``, ``MB``, ``GB``: multiples of 1024), as in Flink's own log4j.properties."""
    max_files: int
    """With ``toFile``: rolled files kept per process besides the current one (Flink's default
10); the oldest is deleted."""


class FlinkClusterArgs(TypedDict, total=False):
    """One Flink cluster on Kubernetes, in any deployment mode.

Only ``name`` and ``flinkVersion`` are required (and ``job`` in application mode,
``jobs`` in per-job mode). The version has no default
on purpose: a library upgrade must never move a running cluster to a new
Flink release."""

    name: Required[str]
    """Cluster name: the prefix of every Kubernetes object and the ``app.kubernetes.io/instance`` label."""
    flink_version: Required[str]
    """Flink release, 'MAJOR.MINOR' or 'MAJOR.MINOR.PATCH' (1.14 to 2.3). Required, with no
default on purpose: a library upgrade must never move a running cluster to another release."""
    namespace: str
    """Namespace of every object. It must already exist."""
    image: NotRequired[str]
    """Container image; unset uses the official ``flink:<flinkVersion>-java17`` (``-java11`` before 1.18)."""
    image_pull_policy: ImagePullPolicy
    """``imagePullPolicy`` of every container the cluster runs: Flink's, the jar fetch and
the library's HA stores."""
    config_file: ConfigFile
    """Flink config file: 'auto' is ``flink-conf.yaml`` on 1.x and ``config.yaml`` on 2.x;
``config.yaml`` may be chosen from 1.19 on; ``flink-conf.yaml`` is refused on 2.x."""
    job_manager: JobManagerArgs
    """The JobManager: size, replicas (a standby needs HA) and, standalone application, workload kind."""
    task_manager: TaskManagerArgs
    """The TaskManagers: size, replicas and task slots."""
    parallelism: int
    """``parallelism.default``: for jobs submitted with ``flink run`` that set none. REST and
web-UI submissions send their own parallelism (1 unless given). Above the total task
slots is a warning."""
    ports: PortsArgs
    """Ports of the Flink processes; the defaults are Flink's."""
    rest: RestArgs
    """How the REST API and web UI are exposed: a ClusterIP Service unless set."""
    flink_configuration: dict[str, Any]
    """Extra Flink configuration, flat keys. Keys the library manages are refused, naming the field to use."""
    jvm_options: list[str]
    """JVM options appended after the ones Flink needs on Java 17 (``env.java.opts.all``)."""
    labels: dict[str, str]
    """Extra labels on every object and pod. The selector labels (``app.kubernetes.io/*``) are
the library's."""
    annotations: dict[str, str]
    """Extra annotations on every object and pod."""
    pod: PodOptionsArgs
    """Extra env, volumes, scheduling and pull secrets for every Flink pod."""
    mode: Mode
    """'session': a long-running cluster that jobs are submitted to. 'application': the
cluster runs ``job``, and ``main()`` runs on the JobManager. 'per-job': every entry of
``jobs`` gets its own isolated cluster, and a client pod submits it with ``flink run``
(``main()`` runs on the client)."""
    native: bool
    """False (standalone): Flink does not know it runs on Kubernetes; TaskManagers are a
Deployment of ``taskManager.replicas`` pods. True (native): the JobManager creates and
deletes TaskManager pods itself, through the Kubernetes API, as many as its jobs need;
``taskManager.replicas`` and per-job mode are refused then."""
    job: NotRequired[JobArgs]
    """Application mode: the job the cluster runs."""
    jobs: list[PerJobArgs]
    """Per-job mode: the jobs, each on its own cluster."""
    high_availability: HighAvailabilityArgs
    """JobManager high availability; off unless ``type`` is set."""
    probes: ProbesArgs
    """Health probes of the Flink containers: on, with a 180 s start-up budget, unless set."""
    spread: SpreadArgs
    """How the JobManager and TaskManager pods spread: over nodes with high availability,
not at all without, unless set."""
    network_policy: NetworkPolicyArgs
    """NetworkPolicies admitting only the traffic the cluster needs: on, REST only from the
cluster's own pods, unless set."""
    metrics: MetricsArgs
    """Flink's Prometheus reporter on port 9249 of every JobManager and TaskManager, unless
set; optionally a PodMonitor or ServiceMonitor."""
    logging: LoggingArgs
    """Where the Flink processes log: stdout only, unless ``toFile``."""
    ha_credentials: NotRequired[dict[str, pulumi.Input[str]]]
    """Object-store credentials for the HA storage (e.g. AWS_ACCESS_KEY_ID and
AWS_SECRET_ACCESS_KEY for s3://), environment variable name -> value. Values may be Pulumi
secrets and need not be known in advance; the keys must be. They become the Secret
``<name>-ha-credentials``, which every Flink pod reads (use it instead of
``highAvailability.credentialsSecret``); they never reach the ConfigMap."""
