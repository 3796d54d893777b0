# GENERATED FILE: do not edit. Regenerate with `python -m pulumi_flink.args_gen` after changing
# spec.py; tests/unit/test_package.py fails while this file is stale.
"""FlinkCluster's inputs for the Pulumi component package, generated from ``spec.py``.

One TypedDict per spec model, keys in snake_case (the package schema camel-cases them to the
spec's own keys), plain values only: FlinkCluster turns them into a ``FlinkClusterSpec``
before it registers anything. ``Literal`` fields are StrEnums whose values are the spec's.
Docstrings continue at column 0 on purpose: the component analyzer copies them into the
schema verbatim.
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
    """'zookeeper': a ZooKeeper ensemble the library runs (or ``zookeeper.existingQuorum``).
'zetcd': an etcd cluster with zetcd in front, which Flink uses as its ZooKeeper; zetcd
speaks only ZooKeeper 3.4 and lacks the container nodes of Flink 1.15+'s Curator 5, so
it is for Flink 1.14 and earlier. 'kubernetes': Flink's leader election and metadata in
ConfigMaps; nothing else to run."""

    NoneValue = "none"
    Zookeeper = "zookeeper"
    Zetcd = "zetcd"
    Kubernetes = "kubernetes"


class ImagePullPolicy(StrEnum):
    """``imagePullPolicy`` of every Flink container."""

    Always = "Always"
    IfNotPresent = "IfNotPresent"
    Never = "Never"


class ConfigFile(StrEnum):
    """Flink config file: 'auto' is ``flink-conf.yaml`` on 1.x and ``config.yaml`` on 2.x;
``config.yaml`` may be chosen from 1.19 on."""

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


class JobManager(TypedDict, total=False):
    """The JobManager. Defaults: 1 CPU, 1600Mi (Flink's own default process size), 1 replica."""

    cpu: str
    """CPU request, and limit, as a Kubernetes quantity ('1', '500m')."""
    memory: str
    """Container memory request and limit, and Flink's process size: one number, in whole MiB."""
    replicas: int
    """JobManager pods. More than one is a standby and needs high availability."""
    workload: NotRequired[JobManagerWorkload]
    """Standalone application mode only: run the JobManager as a Kubernetes ``Job`` (the
default, as in Flink's own manifests: a bounded job completes and its pod is not
restarted; a failing one is retried up to 6 times, each time from the start or the
savepoint) or as a ``Deployment`` (always keeps a pod: for never-ending streaming jobs;
a bounded job would run again every time it finishes). Every other mode runs it as a
Deployment. The TaskManager Deployment stays up after the job ends either way."""


class TaskManager(TypedDict, total=False):
    """The TaskManagers. Defaults: 1 CPU, 1728Mi (Flink's default), 1 replica, 1 slot."""

    cpu: str
    """CPU request, and limit, as a Kubernetes quantity ('1', '500m')."""
    memory: str
    """Container memory request and limit, and Flink's process size (``taskmanager.memory.process.size``)."""
    replicas: int
    """TaskManager pods in the Deployment (standalone); native mode starts pods on demand instead."""
    slots: int
    """``taskmanager.numberOfTaskSlots``: parallel task slots per TaskManager."""


class Ports(TypedDict, total=False):
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


class Rest(TypedDict, total=False):
    """How the REST endpoint (API and web UI) is exposed. Default: a ClusterIP Service."""

    exposure: RestExposure
    """Type of the REST Service: 'ClusterIP' (in-cluster only), 'NodePort' or 'LoadBalancer'."""
    node_port: NotRequired[int]
    """Fixed node port, with ``exposure: NodePort`` only; unset lets Kubernetes pick one."""
    annotations: dict[str, str]
    """Annotations on the REST Service, e.g. for a cloud load balancer."""


class PodOptions(TypedDict, total=False):
    """Hooks applied to every Flink pod (JobManager and TaskManager).

Entries are plain Kubernetes objects in their YAML form (camelCase keys)
and reach the pod spec unchanged. Defaults: none of each."""

    env: list[dict[str, Any]]
    """Extra container env entries (``name`` and ``value`` or ``valueFrom``)."""
    volumes: list[dict[str, Any]]
    """Extra pod volumes; mount them with ``volumeMounts``."""
    volume_mounts: list[dict[str, Any]]
    """Extra mounts in the Flink container (``name`` of a volume and ``mountPath``)."""
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


class Job(TypedDict, total=False):
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
    """The job's parallelism; unset uses the cluster's ``parallelism``."""
    savepoint: NotRequired[str]
    """Start from this savepoint or retained checkpoint (a path, e.g. 's3://bucket/savepoints/sp-1');
unset starts empty."""
    allow_non_restored_state: bool
    """With ``savepoint``: skip savepoint state that maps to no operator of the job, instead of failing."""
    job_id: NotRequired[str]
    """A fixed job id (32 lowercase hex digits). Unset: Flink picks one, except that with high
availability on a fixed id is derived from the cluster name, so a restarted JobManager
recovers the job instead of starting a fresh one."""
    jar_fetch_image: str
    """Image of the init container that downloads a jar URL (it runs ``curl``)."""


class PerJob(TypedDict, total=False):
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
    """The job's parallelism; unset uses the cluster's ``parallelism``."""
    savepoint: NotRequired[str]
    """Start from this savepoint or retained checkpoint (a path, e.g. 's3://bucket/savepoints/sp-1');
unset starts empty."""
    allow_non_restored_state: bool
    """With ``savepoint``: skip savepoint state that maps to no operator of the job, instead of failing."""
    job_id: NotRequired[str]
    """A fixed job id (32 lowercase hex digits). Unset: Flink picks one, except that with high
availability on a fixed id is derived from the cluster name, so a restarted JobManager
recovers the job instead of starting a fresh one."""
    jar_fetch_image: str
    """Image of the init container that downloads a jar URL (it runs ``curl``)."""
    name: Required[str]
    """The job's name: its dedicated cluster is called ``<cluster name>-<job name>``."""
    task_manager: NotRequired[TaskManager]
    """This job's TaskManagers; unset uses the cluster's ``taskManager``."""


class ZooKeeper(TypedDict, total=False):
    """The ZooKeeper ensemble the library runs for Flink, or an existing quorum."""

    replicas: int
    """Servers: odd, so that a majority survives (3 tolerates one lost server, 5 two)."""
    image: str
    """The official ZooKeeper image (its ``zkServer.sh`` on PATH)."""
    cpu: str
    """CPU request and limit of each server, as a Kubernetes quantity."""
    memory: str
    """Memory request and limit of each server; the JVM heap (ZooKeeper) is sized within it."""
    storage: str
    """Each server's persistent volume for its data."""
    storage_class_name: NotRequired[str]
    """Storage class of the data volumes; unset uses the cluster's default."""
    existing_quorum: NotRequired[str]
    """Use this ZooKeeper instead of running one: 'host:port,host:port'. The ensemble
fields are then unused."""


class Etcd(TypedDict, total=False):
    """The etcd cluster behind zetcd."""

    replicas: int
    """Servers: odd, so that a majority survives (3 tolerates one lost server, 5 two)."""
    image: str
    """The etcd image (``etcd`` on PATH)."""
    cpu: str
    """CPU request and limit of each server, as a Kubernetes quantity."""
    memory: str
    """Memory request and limit of each server; the JVM heap (ZooKeeper) is sized within it."""
    storage: str
    """Each server's persistent volume for its data."""
    storage_class_name: NotRequired[str]
    """Storage class of the data volumes; unset uses the cluster's default."""


class Zetcd(TypedDict, total=False):
    """zetcd: the ZooKeeper 3.4 API served from etcd, for Flink 1.14 and earlier."""

    image: str
    """The zetcd image."""
    replicas: int
    """Stateless (sessions live in etcd leases), so more than one keeps the API up."""
    allow_unsupported_flink_version: bool
    """Use zetcd with Flink 1.15 or later anyway (see ``highAvailability.type``). Only after
you have tested leader election and recovery with your Flink release."""


class HighAvailability(TypedDict, total=False):
    """JobManager high availability: leader election and the metadata that lets a new
JobManager recover running jobs. Default: off."""

    type: HighAvailabilityType
    """'zookeeper': a ZooKeeper ensemble the library runs (or ``zookeeper.existingQuorum``).
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
    zookeeper: ZooKeeper
    """With type 'zookeeper': the ensemble the library runs (3 servers), or ``existingQuorum``."""
    etcd: Etcd
    """With type 'zetcd': the etcd cluster that stores the data (3 members)."""
    zetcd: Zetcd
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


class FlinkClusterArgs(TypedDict, total=False):
    """One Flink cluster on Kubernetes, in any deployment mode.

Only ``name`` and ``flinkVersion`` are required (and ``job`` in application mode,
``jobs`` in per-job mode). The version has no default
on purpose: a library upgrade must never move a running cluster to a new
Flink release."""

    name: Required[str]
    """Cluster name: the prefix of every Kubernetes object and the ``app.kubernetes.io/instance`` label."""
    flink_version: Required[str]
    """Flink release, 'MAJOR.MINOR' or 'MAJOR.MINOR.PATCH' (1.14 to 2.3)."""
    namespace: str
    """Namespace of every object. It must already exist."""
    image: NotRequired[str]
    """Container image; unset uses the official ``flink:<flinkVersion>-java17`` (``-java11`` before 1.18)."""
    image_pull_policy: ImagePullPolicy
    """``imagePullPolicy`` of every Flink container."""
    config_file: ConfigFile
    """Flink config file: 'auto' is ``flink-conf.yaml`` on 1.x and ``config.yaml`` on 2.x;
``config.yaml`` may be chosen from 1.19 on."""
    job_manager: JobManager
    """The JobManager: size, replicas (a standby needs HA) and, standalone application, workload kind."""
    task_manager: TaskManager
    """The TaskManagers: size, replicas and task slots."""
    parallelism: int
    """``parallelism.default``: for jobs submitted with ``flink run`` that set none. REST and
web-UI submissions send their own parallelism (1 unless given)."""
    ports: Ports
    """Ports of the Flink processes; the defaults are Flink's."""
    rest: Rest
    """How the REST API and web UI are exposed: a ClusterIP Service unless set."""
    flink_configuration: dict[str, Any]
    """Extra Flink configuration, flat keys. Keys the library manages are refused, naming the field to use."""
    jvm_options: list[str]
    """JVM options appended after the ones Flink needs on Java 17 (``env.java.opts.all``)."""
    labels: dict[str, str]
    """Extra labels on every object and pod."""
    annotations: dict[str, str]
    """Extra annotations on every object and pod."""
    pod: PodOptions
    """Extra env, volumes, scheduling and pull secrets for every Flink pod."""
    mode: Mode
    """'session': a long-running cluster that jobs are submitted to. 'application': the
cluster runs ``job``, and ``main()`` runs on the JobManager. 'per-job': every entry of
``jobs`` gets its own isolated cluster, and a client pod submits it with ``flink run``
(``main()`` runs on the client)."""
    native: bool
    """False (standalone): Flink does not know it runs on Kubernetes; TaskManagers are a
Deployment of ``taskManager.replicas`` pods. True (native): the JobManager creates and
deletes TaskManager pods itself, through the Kubernetes API, as many as its jobs need."""
    job: NotRequired[Job]
    """Application mode: the job the cluster runs."""
    jobs: list[PerJob]
    """Per-job mode: the jobs, each on its own cluster."""
    high_availability: HighAvailability
    """JobManager high availability; off unless ``type`` is set."""
    ha_credentials: NotRequired[dict[str, pulumi.Input[str]]]
    """Object-store credentials for the HA storage (e.g. AWS_ACCESS_KEY_ID and
AWS_SECRET_ACCESS_KEY for s3://), environment variable name -> value. Values may be Pulumi
secrets and need not be known in advance; the keys must be. They become the Secret
``<name>-ha-credentials``, which every Flink pod reads (use it instead of
``highAvailability.credentialsSecret``); they never reach the ConfigMap."""
