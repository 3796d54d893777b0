"""Every rendered manifest validates against the Kubernetes schema of a recent release."""

from __future__ import annotations

from typing import Any

import kubernetes_validate
import pytest

from pulumi_flink.cli import load_stack_file
from pulumi_flink.program import parse_stack_config
from pulumi_flink.renderer import render_stack
from tests.conftest import make_spec, render_specs

KUBERNETES_VERSION = "1.33.0"
STACK_DIR = __import__("pathlib").Path(__file__).resolve().parents[2] / "stacks"

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


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_rendered_objects_validate(variant: str) -> None:
    validate_all(render_specs(make_spec(**VARIANTS[variant])).kubernetes_objects())


@pytest.mark.parametrize("stack_file", sorted(STACK_DIR.glob("Pulumi.*.yaml")), ids=lambda p: p.name)
def test_every_example_stack_validates(stack_file: Any) -> None:
    stack = parse_stack_config(load_stack_file(stack_file))
    validate_all(render_stack(stack).kubernetes_objects())


def test_native_taskmanager_pod_template_validates_as_a_pod() -> None:
    import yaml

    objects = render_specs(make_spec(**VARIANTS["native-session-pod-hooks"])).kubernetes_objects()
    (template,) = [o for o in objects if o["metadata"]["name"] == "pod-template-analytics"]
    pod = yaml.safe_load(template["data"]["taskmanager-pod-template.yaml"])
    # Flink fills in the image and the rest; the template must still be a well-formed Pod.
    pod["spec"]["containers"][0]["image"] = "flink:2.3-java17"
    kubernetes_validate.validate(pod, KUBERNETES_VERSION, strict=True)


def test_the_validator_catches_a_broken_object() -> None:
    (deployment,) = [
        o
        for o in render_specs(make_spec()).kubernetes_objects()
        if o["metadata"]["name"] == "analytics-jobmanager" and o["kind"] == "Deployment"
    ]
    deployment["spec"]["replicas"] = "one"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)
