"""JobManager high availability, and the ZooKeeper, etcd and zetcd stores the library runs for it."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from pulumi_flink.model.kubernetes_types import check_dns_subdomain, is_dns_subdomain
from pulumi_flink.model.quantities import memory_mebibytes
from pulumi_flink.model.text import check_no_control_characters, whole_string
from pulumi_flink.spec.base import INT32_MAX, MAX_PORT, SpecModel, _check_dns1123, _check_image, _fix
from pulumi_flink.spec.resources import Resources

OBJECT_STORE_SCHEMES = ("s3://", "s3a://", "s3p://", "gs://", "abfs://", "abfss://", "wasbs://", "oss://", "hdfs://")
# A quorum entry: host:port, spaces around it allowed (ZooKeeper trims them).
_QUORUM_MEMBER = whole_string(r" *[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?:(?P<port>[0-9]{1,5}) *")


# The least memory of a store server. ZooKeeper's JVM gets half of it as heap (``heap_mib``):
# Java refuses a heap under 3 MiB and ZooKeeper 3.8 does not start under 8 MiB (measured);
# 32 MiB leaves room for Flink's sessions and znodes. An idle etcd 3.4 member uses about 24 MiB.
STORE_MIN_MEMORY_MIB = 64


class StoreSpec(SpecModel):
    """A replicated store the library runs for Flink: its servers' size and volumes."""

    # At most 255: a ZooKeeper server id (myid, the pod ordinal + 1) is 1 to 255. Unbounded,
    # a typo such as 300000000 made the quorum string (one entry per server) hang the parse.
    replicas: int = Field(default=3, ge=1, le=255)
    """Servers: odd, so that a majority survives (3 tolerates one lost server, 5 two)."""
    image: str
    """Container image of the servers."""
    cpu: str = "500m"
    """CPU request and limit of each server, as a Kubernetes quantity."""
    memory: str = "1Gi"
    """Memory request and limit of each server (ZooKeeper's JVM heap is half of it)."""
    storage: str = "10Gi"
    """Each server's persistent volume for its data."""
    storage_class_name: str | None = None
    """Storage class of the data volumes; unset uses the cluster's default."""

    @field_validator("cpu")
    @classmethod
    def _cpu(cls, value: str) -> str:
        return Resources._cpu(value)

    @field_validator("memory")
    @classmethod
    def _memory(cls, value: str) -> str:
        if memory_mebibytes(Resources._memory(value)) < STORE_MIN_MEMORY_MIB:
            raise _fix(
                f"{value!r} is too little for a store server: ZooKeeper's JVM gets half of it as "
                f"heap, and an idle etcd member alone uses about 24Mi.",
                f"give at least {STORE_MIN_MEMORY_MIB}Mi (the default is 1Gi)",
            )
        return value

    @field_validator("storage")
    @classmethod
    def _storage(cls, value: str) -> str:
        return Resources._memory(value)

    @field_validator("storage_class_name")
    @classmethod
    def _storage_class(cls, value: str | None) -> str | None:
        if value is not None and not is_dns_subdomain(value):
            raise _fix(f"{value!r} is not a StorageClass name.",
                       "write a lowercase DNS name such as 'fast-ssd', or remove it for the default class")
        return value

    @field_validator("image")
    @classmethod
    def _image(cls, value: str) -> str:
        return _check_image(value, cls.model_fields["image"].default)


class ZooKeeperSpec(StoreSpec):
    """The ZooKeeper ensemble the library runs for Flink, or an existing quorum."""

    image: str = "zookeeper:3.8.4"
    """The official ZooKeeper image (its ``zkServer.sh`` on PATH)."""
    existing_quorum: str | None = None
    """Use this ZooKeeper instead of running one: 'host:port,host:port'. The ensemble
    fields are then unused."""

    @property
    def heap_mib(self) -> int:
        """``ZK_SERVER_HEAP``: the JVM heap of each server, half its memory; the other half
        is for direct memory, metaspace and threads within the container's limit."""
        return memory_mebibytes(self.memory) // 2

    @field_validator("existing_quorum")
    @classmethod
    def _quorum(cls, value: str | None) -> str | None:
        if value is None:
            return value
        check_no_control_characters(value, "ZooKeeper quorum")
        members = [_QUORUM_MEMBER(member) for member in value.split(",")]
        if not all(members):
            raise _fix(
                f"{value!r} is not a ZooKeeper quorum.",
                "write 'host:port' entries separated by commas, e.g. 'zk-0.zk:2181,zk-1.zk:2181'",
            )
        ports = [int(member["port"]) for member in members if member]
        if not all(1 <= port <= MAX_PORT for port in ports):
            raise _fix(
                f"{value!r} has a port outside 1-{MAX_PORT}.",
                "give each server's client port, e.g. 2181",
            )
        return value


class EtcdSpec(StoreSpec):
    """The etcd cluster behind zetcd."""

    image: str = "quay.io/coreos/etcd:v3.5.17"
    """The etcd image (``etcd`` on PATH)."""


class ZetcdSpec(SpecModel):
    """zetcd: the ZooKeeper 3.4 API served from etcd, for Flink 1.14 and earlier."""

    image: str = "quay.io/coreos/zetcd:v0.0.5"
    """The zetcd image."""
    replicas: int = Field(default=2, ge=1, le=INT32_MAX)
    """Stateless (sessions live in etcd leases), so more than one keeps the API up."""
    allow_unsupported_flink_version: bool = False
    """Use zetcd with Flink 1.15 or later anyway (see ``highAvailability.type``). Only after
    you have tested leader election and recovery with your Flink release."""

    @field_validator("image")
    @classmethod
    def _image(cls, value: str) -> str:
        return _check_image(value, cls.model_fields["image"].default)


class HighAvailabilitySpec(SpecModel):
    """JobManager high availability: leader election and the metadata that lets a new
    JobManager recover running jobs. Default: off."""

    type: Literal["none", "zookeeper", "zetcd", "kubernetes"] = "none"
    """The store the JobManagers elect their leader in; 'none': no high availability.
    'zookeeper': a ZooKeeper ensemble the library runs (or ``zookeeper.existingQuorum``).
    'zetcd': an etcd cluster with zetcd in front, which Flink uses as its ZooKeeper; zetcd
    speaks only ZooKeeper 3.4 and lacks the container nodes of Flink 1.15+'s Curator 5, so
    it is for Flink 1.14 and earlier. 'kubernetes': Flink's leader election and metadata in
    ConfigMaps; nothing else to run."""
    storage_dir: str | None = None
    """Required with HA: durable storage shared by every JobManager and TaskManager, for HA
    metadata (``<storageDir>/ha``), checkpoints (``/checkpoints``) and savepoints
    (``/savepoints``). An object store URI (s3://, gs://, abfs://, hdfs://, ...) or
    ``file:///flink-ha/...`` on ``volumeClaim``."""
    volume_claim: str | None = None
    """An existing ReadWriteMany PersistentVolumeClaim, mounted at /flink-ha in every Flink
    pod; ``storageDir`` is then ``file:///flink-ha`` or a directory below it."""
    credentials_secret: str | None = None
    """An existing Secret whose keys become environment variables of every Flink pod (e.g.
    AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for s3://): credentials never go into the
    ConfigMap."""
    zookeeper: ZooKeeperSpec = ZooKeeperSpec()
    """With type 'zookeeper': the ensemble the library runs (3 servers), or ``existingQuorum``."""
    etcd: EtcdSpec = EtcdSpec()
    """With type 'zetcd': the etcd cluster that stores the data (3 members)."""
    zetcd: ZetcdSpec = ZetcdSpec()
    """With type 'zetcd': the zetcd servers in front of etcd."""
    path_root: str = "/flink"
    """``high-availability.zookeeper.path.root``: the ZooKeeper node under which each cluster
    id keeps its data."""
    cluster_id: str | None = None
    """The HA cluster id. Unset: ``<name>-<8 random hex digits>``, drawn once per
    incarnation by pulumi-random and stable across updates, so a cluster destroyed and
    created again never recovers an old job from leftover HA data."""
    fast_failover: bool = True
    """Tune ZooKeeper session and heartbeat timeouts so a killed leader is replaced in
    seconds, not the ~minute Flink's defaults take. False keeps Flink's defaults."""

    @field_validator("storage_dir")
    @classmethod
    def _storage_dir(cls, value: str | None) -> str | None:
        if value is not None:
            check_no_control_characters(value, "storage URI")
        if value is not None and not (value.startswith(OBJECT_STORE_SCHEMES) or value.startswith("file:///")):
            schemes = ", ".join(OBJECT_STORE_SCHEMES)
            raise _fix(f"{value!r} is not a durable storage URI.",
                       f"use an object store ({schemes}) or file:///flink-ha with volumeClaim")
        if value is not None and any(c.isspace() for c in value):
            raise _fix(f"{value!r} contains whitespace.", "write the URI without spaces")
        return value

    @field_validator("volume_claim", "credentials_secret")
    @classmethod
    def _object_name(cls, value: str | None) -> str | None:
        # Claim and Secret names are DNS subdomains to Kubernetes (dots allowed, 253 long).
        return value if value is None else check_dns_subdomain(value, "object name")

    @field_validator("path_root")
    @classmethod
    def _path_root(cls, value: str) -> str:
        check_no_control_characters(value, "ZooKeeper path")
        if not value.startswith("/") or any(c.isspace() for c in value):
            raise _fix(f"{value!r} is not a ZooKeeper path.", "write an absolute path such as '/flink'")
        return value

    @field_validator("cluster_id")
    @classmethod
    def _cluster_id(cls, value: str | None) -> str | None:
        return value if value is None else _check_dns1123(value, "HA cluster id")

    @property
    def enabled(self) -> bool:
        return self.type != "none"

    @property
    def flink_type(self) -> str:
        """Flink's own name for the store: zetcd is ZooKeeper to Flink."""
        return "zookeeper" if self.type == "zetcd" else self.type

    @property
    def store_components(self) -> tuple[str, ...]:
        """The store servers the library runs: ZooKeeper (unless an existing quorum is used),
        etcd with zetcd in front, or none."""
        if self.type == "zookeeper" and self.zookeeper.existing_quorum is None:
            return ("zookeeper",)
        return ("etcd", "zetcd") if self.type == "zetcd" else ()
