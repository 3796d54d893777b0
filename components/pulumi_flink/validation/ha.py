"""High availability and the stores the library runs: the storage, the store sizes, and the
patch version the filesystem plugin of an object store needs."""

from __future__ import annotations

from pulumi_flink.model.layout import HA_STORAGE_MOUNT
from pulumi_flink.model.plugins import filesystem_plugin
from pulumi_flink.spec import FlinkClusterSpec
from pulumi_flink.spec.errors import Problem


def check_high_availability(spec: FlinkClusterSpec) -> list[Problem]:
    ha = spec.high_availability
    problems: list[Problem] = []
    if not ha.enabled:
        if spec.job_manager.replicas > 1:
            problems.append(
                Problem(
                    "jobManager.replicas",
                    "standby JobManagers need high availability to elect a leader.",
                    "set highAvailability.type (zookeeper or kubernetes), or use 1 replica",
                )
            )
        for field in ("storage_dir", "volume_claim", "credentials_secret", "cluster_id"):
            if field in ha.model_fields_set:
                name = HA_FIELD_NAMES[field]
                problems.append(
                    Problem(
                        f"highAvailability.{name}",
                        "high availability is off.",
                        "set highAvailability.type, or remove this field",
                    )
                )
        return problems
    storage = ha.storage_dir
    if storage is None:
        problems.append(
            Problem(
                "highAvailability.storageDir",
                "high availability needs durable storage shared by every JobManager and TaskManager.",
                "set an object store URI (e.g. s3://bucket/flink) or file:///flink-ha with volumeClaim",
            )
        )
    elif storage.startswith("file://"):
        if ha.volume_claim is None:
            problems.append(
                Problem(
                    "highAvailability.storageDir",
                    f"{storage} would be each pod's own disk, not storage the JobManagers share.",
                    "set highAvailability.volumeClaim (a ReadWriteMany claim, mounted at /flink-ha), "
                    "or use an object store",
                )
            )
        elif not (
            storage.rstrip("/") == f"file://{HA_STORAGE_MOUNT}"
            or storage.startswith(f"file://{HA_STORAGE_MOUNT}/")
        ):
            problems.append(
                Problem(
                    "highAvailability.storageDir",
                    f"volumeClaim is mounted at {HA_STORAGE_MOUNT}, which {storage} is not under.",
                    f"use file://{HA_STORAGE_MOUNT} or a directory below it",
                )
            )
    elif ha.volume_claim is not None:
        problems.append(
            Problem(
                "highAvailability.volumeClaim",
                f"storageDir {storage} is an object store; the volume would be unused.",
                f"remove volumeClaim, or use storageDir file://{HA_STORAGE_MOUNT}",
            )
        )
    if filesystem_plugin(storage, spec.flink_version) and spec.version.patch is None:
        problems.append(
            Problem(
                "flinkVersion",
                f"{storage} needs Flink's filesystem plugin jar, whose file name has the patch version.",
                f"write the full release, e.g. '{spec.flink_version}.0', matching the image",
            )
        )
    if ha.type == "zetcd" and spec.version.at_least(1, 15) and not ha.zetcd.allow_unsupported_flink_version:
        problems.append(
            Problem(
                "highAvailability.type",
                f"zetcd cannot serve Flink {spec.version}: zetcd speaks only the ZooKeeper 3.4 protocol "
                "(unmaintained since 2019), and Flink 1.15 and later use Curator 5, which creates "
                "container nodes that zetcd lacks.",
                "use zookeeper or kubernetes; or, after testing leader election and recovery with "
                "this release, set highAvailability.zetcd.allowUnsupportedFlinkVersion: true",
            )
        )
    if ha.type == "zetcd" and ha.etcd.replicas % 2 == 0:
        problems.append(
            Problem(
                "highAvailability.etcd.replicas",
                f"{ha.etcd.replicas} members survive no more failures than {ha.etcd.replicas - 1} would.",
                "use an odd number (3 or 5)",
            )
        )
    if ha.type == "zookeeper" and ha.zookeeper.existing_quorum is None and ha.zookeeper.replicas % 2 == 0:
        problems.append(
            Problem(
                "highAvailability.zookeeper.replicas",
                f"{ha.zookeeper.replicas} servers survive no more failures than "
                f"{ha.zookeeper.replicas - 1} would.",
                "use an odd number (3 or 5)",
            )
        )
    return problems


HA_FIELD_NAMES = {
    "storage_dir": "storageDir",
    "volume_claim": "volumeClaim",
    "credentials_secret": "credentialsSecret",
    "cluster_id": "clusterId",
}


def runs_store(spec: FlinkClusterSpec) -> bool:
    """Whether the spec runs an HA store of the library's own (ZooKeeper, or etcd and zetcd)."""
    return bool(spec.high_availability.store_components)
