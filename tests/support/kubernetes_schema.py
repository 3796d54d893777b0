"""The Kubernetes schema the renders are validated against, and the spec variants every
schema-level test renders."""

from __future__ import annotations

from typing import Any

import kubernetes_validate

from tests.support.paths import ROOT

KUBERNETES_VERSION = "1.33.0"
STACK_DIR = ROOT / "stacks"

VARIANTS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "flink-1.14": {"flinkVersion": "1.14"},
    "flink-2.3": {"flinkVersion": "2.3"},
    "node-port": {"rest": {"exposure": "NodePort", "nodePort": 30081}},
    "load-balancer": {"rest": {"exposure": "LoadBalancer", "annotations": {"example.com/lb": "internal"}}},
    "pod-hooks": {
        "pod": {
            "env": [{"name": "TZ", "value": "UTC"}],
            "volumes": [{"name": "data", "emptyDir": {}}],
            "volumeMounts": [{"name": "data", "mountPath": "/data"}],
            "nodeSelector": {"pool": "flink"},
            "tolerations": [{"key": "dedicated", "operator": "Exists", "effect": "NoSchedule"}],
            "imagePullSecrets": ["registry"],
            "serviceAccountName": "shared-flink",
        }
    },
    "labels": {"labels": {"example.com/team": "data"}, "annotations": {"example.com/owner": "x"}},
    "application-job-fetched-jar": {
        "mode": "application",
        "job": {
            "jar": "https://x.example.com/a.jar",
            "savepoint": "s3://b/sp",
            "allowNonRestoredState": True,
        },
    },
    "application-deployment-ha": {
        "mode": "application",
        "jobManager": {"workload": "Deployment"},
        "job": {"jar": "/opt/flink/usrlib/a.jar"},
        "highAvailability": {"type": "kubernetes", "storageDir": "hdfs://namenode:8020/flink"},
    },
    "per-job": {
        "mode": "per-job",
        "jobs": [
            {"name": "a", "jar": "https://x.example.com/a.jar"},
            {"name": "b", "jar": "/opt/flink/usrlib/b.jar", "taskManager": {"replicas": 3}},
        ],
    },
    "native-session-pod-hooks": {
        "native": True,
        "flinkVersion": "2.3",
        "pod": {
            "env": [{"name": "TZ", "value": "UTC"}],
            "nodeSelector": {"pool": "flink"},
            "volumes": [{"name": "data", "emptyDir": {}}],
            "volumeMounts": [{"name": "data", "mountPath": "/data"}],
        },
    },
    "zookeeper-ha-standby": {
        "jobManager": {"replicas": 2},
        "highAvailability": {
            "type": "zookeeper",
            "storageDir": "file:///flink-ha",
            "volumeClaim": "flink-ha",
            "zookeeper": {"storageClassName": "fast"},
        },
    },
    "kubernetes-ha-object-store-native": {
        "native": True,
        "flinkVersion": "1.20.3",
        "jobManager": {"replicas": 2},
        "highAvailability": {"type": "kubernetes", "storageDir": "s3://b/flink", "credentialsSecret": "s3"},
    },
    "zetcd-ha-1.14": {
        "flinkVersion": "1.14",
        "jobManager": {"replicas": 2},
        "highAvailability": {
            "type": "zetcd",
            "storageDir": "hdfs://nn:8020/flink",
            "etcd": {"storageClassName": "fast"},
        },
    },
    "native-application-1.16": {
        "native": True,
        "flinkVersion": "1.16",
        "mode": "application",
        "job": {"jar": "https://x.example.com/a.jar", "args": ["a;b"]},
    },
}


def validate_all(objects: list[dict[str, Any]]) -> None:
    assert objects
    for obj in objects:
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
