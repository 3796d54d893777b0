"""The user's pod hooks (``pod.env``, ``volumes``, ``volumeMounts``, ``nodeSelector``,
``tolerations``, ``affinity``, ``imagePullSecrets``, ``serviceAccountName``) are taken only as
Kubernetes would take them, never over the library's own names, and objects stay within
Kubernetes' size limits; ``tests/support/kubernetes_rules.py`` checks every render on its own."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pulumi_flink.model import kubernetes_types
from pulumi_flink.model.kubernetes_types import MAX_ANNOTATIONS_BYTES, MAX_CONFIG_MAP_BYTES, annotations_bytes
from pulumi_flink.offline.cli import load_stack_file
from pulumi_flink.offline.renderer import Render, render_stack, run_program
from pulumi_flink.program import parse_stack_config
from pulumi_flink.resources.cluster import FlinkCluster
from pulumi_flink.resources.meta import ensure_valid
from pulumi_flink.spec import FlinkClusterSpec
from pulumi_flink.spec.errors import FlinkSpecError
from pulumi_flink.validation import LIBRARY_ANNOTATIONS_BYTES
from tests.support.fuzz import fuzz_settings
from tests.support.kubernetes_rules import pods, violations
from tests.support.kubernetes_schema import KUBERNETES_VERSION, STACK_DIR, VARIANTS, validate_all
from tests.support.rendering import make_spec, render_specs
from tests.support.stack_schema import snake_args

Obj = dict[str, Any]
BASE = {"name": "analytics", "flinkVersion": "1.20.3", "namespace": "flink"}
DATA = {"name": "data", "emptyDir": {}}
S3_HA = {"type": "kubernetes", "storageDir": "s3://bucket/flink"}
CLAIM_HA = {"type": "kubernetes", "storageDir": "file:///flink-ha", "volumeClaim": "flink-ha"}
FETCHED_JOB = {"jar": "https://repo.example.com/job.jar"}


def refusal(**data: Any) -> FlinkSpecError:
    with pytest.raises(FlinkSpecError) as info:
        ensure_valid(FlinkClusterSpec.parse({**BASE, **data}))
    return info.value


def only(error: FlinkSpecError) -> tuple[str, str]:
    (problem,) = error.problems
    return problem.path, f"{problem.message} Fix: {problem.fix}"


def with_mount(path: str, **data: Any) -> FlinkSpecError:
    return refusal(pod={"volumes": [DATA], "volumeMounts": [{"name": "data", "mountPath": path}]}, **data)


# --- entries Kubernetes would refuse ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("pod", "path", "words"),
    [
        ({"env": [{"name": "1ST", "value": "x"}]}, "pod.env[0].name", "not starting with a digit"),
        ({"env": [{"name": "A=B", "value": "x"}]}, "pod.env[0].name", "environment variable name"),
        ({"env": [{"name": "", "value": "x"}]}, "pod.env[0].name", "environment variable name"),
        ({"env": [{"name": "PORT", "value": 8080}]}, "pod.env[0].value", "quote it"),
        ({"env": [{"name": "ON", "value": True}]}, "pod.env[0].value", "write a string"),
        (
            {
                "env": [
                    {"name": "TZ", "value": "UTC", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}
                ]
            },
            "pod.env[0]",
            "not both",
        ),
        ({"env": [{"name": "TZ", "vaule": "UTC"}]}, "pod.env[0].vaule", "spelling"),
        ({"env": [{"name": "TZ", "value_from": {}}]}, "pod.env[0].value_from", "spelling"),
        ({"env": [{"name": "X", "valueFrom": {}}]}, "pod.env[0].valueFrom", "found none"),
        (
            {
                "env": [
                    {
                        "name": "X",
                        "valueFrom": {
                            "fieldRef": {"fieldPath": "metadata.name"},
                            "secretKeyRef": {"name": "s", "key": "k"},
                        },
                    }
                ]
            },
            "pod.env[0].valueFrom",
            "found fieldRef, secretKeyRef",
        ),
        (
            {"env": [{"name": "X", "valueFrom": {"fieldRef": {"fieldPath": "spec.containers"}}}]},
            "pod.env[0].valueFrom.fieldRef.fieldPath",
            "metadata.labels",
        ),
        (
            {
                "env": [
                    {
                        "name": "X",
                        "valueFrom": {"fieldRef": {"fieldPath": "metadata.name", "apiVersion": "v2"}},
                    }
                ]
            },
            "pod.env[0].valueFrom.fieldRef.apiVersion",
            "one of the values",
        ),
        (
            {"env": [{"name": "X", "valueFrom": {"secretKeyRef": {"name": "S3", "key": "k"}}}]},
            "pod.env[0].valueFrom.secretKeyRef.name",
            "DNS subdomain",
        ),
        (
            {"env": [{"name": "X", "valueFrom": {"secretKeyRef": {"name": "s3", "key": "a/b"}}}]},
            "pod.env[0].valueFrom.secretKeyRef.key",
            "Secret key",
        ),
        (
            {"env": [{"name": "X", "valueFrom": {"resourceFieldRef": {"resource": "limits.gpu"}}}]},
            "pod.env[0].valueFrom.resourceFieldRef.resource",
            "limits.memory",
        ),
        (
            {"env": [{"name": "X", "valueFrom": {"configMapKeyRef": {"name": "c", "key": "k", "extra": 1}}}]},
            "pod.env[0].valueFrom.configMapKeyRef.extra",
            "spelling",
        ),
        (
            {"volumes": [{"name": "d", "emptyDir": {}, "secret": {"secretName": "s"}}]},
            "pod.volumes[0]",
            "found emptyDir, secret",
        ),
        ({"volumes": [{"name": "d"}]}, "pod.volumes[0]", "found none"),
        ({"volumes": [{"name": "d", "emptyDirs": {}}]}, "pod.volumes[0].emptyDirs", "spelling"),
        ({"volumes": [{"name": "Data", "emptyDir": {}}]}, "pod.volumes[0].name", "DNS label"),
        ({"volumes": [{"name": "d" * 64, "emptyDir": {}}]}, "pod.volumes[0].name", "at most 63"),
        (
            {"volumes": [{"name": "d", "emptyDir": {"sizeLimit": "1 Gi"}}]},
            "pod.volumes[0].emptyDir.sizeLimit",
            "without spaces",
        ),
        (
            {"volumes": [{"name": "d", "emptyDir": {"sizeLimit": " 1Gi"}}]},
            "pod.volumes[0].emptyDir.sizeLimit",
            "without spaces",
        ),
        (
            {"volumes": [{"name": "d", "emptyDir": {"medium": "Disk"}}]},
            "pod.volumes[0].emptyDir.medium",
            "one of the values",
        ),
        ({"volumes": [{"name": "d", "secret": {"name": "tls"}}]}, "pod.volumes[0].secret.name", "spelling"),
        (
            {"volumes": [{"name": "d", "configMap": {"name": "c", "items": [{"key": "k", "path": "../x"}]}}]},
            "pod.volumes[0].configMap.items[0].path",
            "without '..'",
        ),
        (
            {"volumes": [{"name": "d", "persistentVolumeClaim": {}}]},
            "pod.volumes[0].persistentVolumeClaim.claimName",
            "set it",
        ),
        ({"volumes": [{"name": "d", "hostPath": "/var"}]}, "pod.volumes[0].hostPath", "mapping"),
        (
            {"volumes": [DATA], "volumeMounts": [{"name": "data", "mountPath": "data"}]},
            "pod.volumeMounts[0].mountPath",
            "absolute",
        ),
        (
            {"volumes": [DATA], "volumeMounts": [{"name": "data", "mountPath": "/data/../etc"}]},
            "pod.volumeMounts[0].mountPath",
            "'/etc'",
        ),
        (
            {"volumes": [DATA], "volumeMounts": [{"name": "data", "mountPath": "/a", "subPath": "/x"}]},
            "pod.volumeMounts[0].subPath",
            "relative",
        ),
        (
            {
                "volumes": [DATA],
                "volumeMounts": [
                    {"name": "data", "mountPath": "/a", "subPath": "x", "subPathExpr": "$(POD)"}
                ],
            },
            "pod.volumeMounts[0]",
            "exclude each other",
        ),
        (
            {"volumes": [DATA], "volumeMounts": [{"name": "data", "mountPath": "/a", "readonly": True}]},
            "pod.volumeMounts[0].readonly",
            "spelling",
        ),
        (
            {"volumes": [DATA], "volumeMounts": [{"name": "data", "mountPath": "/a", "readOnly": "true"}]},
            "pod.volumeMounts[0].readOnly",
            "true or false",
        ),
        (
            {
                "volumes": [DATA],
                "volumeMounts": [{"name": "data", "mountPath": "/a", "mountPropagation": "All"}],
            },
            "pod.volumeMounts[0].mountPropagation",
            "one of the values",
        ),
        (
            {
                "volumes": [DATA],
                "volumeMounts": [{"name": "data", "mountPath": "/a", "recursiveReadOnly": "Enabled"}],
            },
            "pod.volumeMounts[0]",
            "readOnly: true",
        ),
        (
            {
                "volumes": [DATA, {**DATA, "name": "more"}],
                "volumeMounts": [
                    {"name": "data", "mountPath": "/data"},
                    {"name": "more", "mountPath": "//data/"},
                ],
            },
            "pod.volumeMounts",
            "more than once",
        ),
        ({"nodeSelector": {"pool": "flink nodes"}}, "pod.nodeSelector", "node label value"),
        ({"nodeSelector": {"bad key!": "x"}}, "pod.nodeSelector", "node label key"),
        (
            {"tolerations": [{"key": "dedicated", "operator": "Exists", "value": "flink"}]},
            "pod.tolerations[0]",
            "drop value",
        ),
        (
            {"tolerations": [{"key": "dedicated", "operator": "In"}]},
            "pod.tolerations[0].operator",
            "one of the values",
        ),
        (
            {"tolerations": [{"key": "dedicated", "effect": "NoRun"}]},
            "pod.tolerations[0].effect",
            "one of the values",
        ),
        ({"tolerations": [{"value": "x"}]}, "pod.tolerations[0]", "operator: Exists"),
        (
            {"tolerations": [{"key": "a", "effect": "NoSchedule", "tolerationSeconds": 30}]},
            "pod.tolerations[0]",
            "NoExecute",
        ),
        ({"tolerations": [{"key": "bad key", "operator": "Exists"}]}, "pod.tolerations[0].key", "taint key"),
        ({"tolerations": [{"key": "a", "operater": "Exists"}]}, "pod.tolerations[0].operater", "spelling"),
        ({"affinity": {"nodeAfinity": {}}}, "pod.affinity.nodeAfinity", "spelling"),
        (
            {
                "affinity": {
                    "nodeAffinity": {
                        "requiredDuringSchedulingIgnoredDuringExecution": {
                            "nodeSelectorTerms": [{"matchExpressions": [{"key": "pool", "operator": "In"}]}]
                        }
                    }
                }
            },
            "pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]"
            ".matchExpressions[0]",
            "needs values",
        ),
        (
            {
                "affinity": {
                    "nodeAffinity": {
                        "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": []}
                    }
                }
            },
            "pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms",
            "at least 1",
        ),
        (
            {
                "affinity": {
                    "podAntiAffinity": {
                        "preferredDuringSchedulingIgnoredDuringExecution": [
                            {"weight": 0, "podAffinityTerm": {"topologyKey": "kubernetes.io/hostname"}}
                        ]
                    }
                }
            },
            "pod.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight",
            "raise it",
        ),
        (
            {
                "affinity": {
                    "podAffinity": {
                        "requiredDuringSchedulingIgnoredDuringExecution": [
                            {
                                "labelSelector": {
                                    "matchExpressions": [
                                        {"key": "app", "operator": "Exists", "values": ["x"]}
                                    ]
                                },
                                "topologyKey": "zone",
                            }
                        ]
                    }
                }
            },
            "pod.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector"
            ".matchExpressions[0]",
            "takes no values",
        ),
        (
            {
                "affinity": {
                    "podAffinity": {
                        "requiredDuringSchedulingIgnoredDuringExecution": [
                            {"labelSelector": {"matchLabels": {"app": "x"}}}
                        ]
                    }
                }
            },
            "pod.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey",
            "set it",
        ),
        (
            {
                "affinity": {
                    "nodeAffinity": {
                        "requiredDuringSchedulingIgnoredDuringExecution": {
                            "nodeSelectorTerms": [
                                {"matchExpressions": [{"key": "cpus", "operator": "Gt", "values": ["many"]}]}
                            ]
                        }
                    }
                }
            },
            "pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]"
            ".matchExpressions[0]",
            "one whole number",
        ),
        ({"affinity": {"nodeAffinity": []}}, "pod.affinity.nodeAffinity", "mapping"),
        ({"imagePullSecrets": ["-registry"]}, "pod.imagePullSecrets", "DNS subdomain"),
        ({"imagePullSecrets": ["r" * 254]}, "pod.imagePullSecrets", "at most 253"),
        ({"serviceAccountName": "flink_sa"}, "pod.serviceAccountName", "DNS subdomain"),
    ],
)
def test_entries_kubernetes_would_refuse_are_refused(pod: Obj, path: str, words: str) -> None:
    error = refusal(pod=pod)
    assert all(p.path.startswith("pod.") for p in error.problems), error
    (problem,) = [p for p in error.problems if p.path == path] or [None]
    assert problem is not None, error
    assert words in f"{problem.message} Fix: {problem.fix}", error


@pytest.mark.parametrize(
    "pod",
    [
        {"imagePullSecrets": ["registry.example.com"], "serviceAccountName": "flink.platform-team"},
        {"serviceAccountName": "a" * 253},
        {
            "env": [
                {"name": "my.setting-1", "value": ""},
                {"name": "_X"},
                {
                    "name": "NODE",
                    "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "spec.nodeName"}},
                },
                {
                    "name": "TEAM",
                    "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['example.com/team']"}},
                },
                {
                    "name": "MEM",
                    "valueFrom": {"resourceFieldRef": {"resource": "limits.memory", "divisor": "1Mi"}},
                },
                {
                    "name": "K",
                    "valueFrom": {"configMapKeyRef": {"name": "c", "key": "k.txt", "optional": True}},
                },
            ]
        },
        {
            "volumes": [
                {"name": "a", "emptyDir": {"medium": "Memory", "sizeLimit": "1Gi"}},
                {"name": "b", "downwardAPI": {"items": []}},
                {"name": "c", "nfs": {"server": "nfs.example.com", "path": "/exports"}},
                {"name": "d", "csi": {"driver": "x"}},
            ],
            "volumeMounts": [
                {"name": "a", "mountPath": "/a/", "readOnly": True, "recursiveReadOnly": "IfPossible"},
                {"name": "b", "mountPath": "//b", "subPathExpr": "$(POD_NAME)"},
            ],
        },
        {
            "tolerations": [
                {"operator": "Exists"},
                {"key": "k", "value": "v", "effect": "NoExecute", "tolerationSeconds": 60},
            ]
        },
        {"nodeSelector": {"kubernetes.io/arch": "amd64", "empty": ""}},
        {
            "affinity": {
                "nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {
                        "nodeSelectorTerms": [
                            {
                                "matchExpressions": [
                                    {"key": "pool", "operator": "In", "values": ["flink"]},
                                    {"key": "cpus", "operator": "Gt", "values": ["4"]},
                                ]
                            },
                            {
                                "matchFields": [
                                    {"key": "metadata.name", "operator": "NotIn", "values": ["n1"]}
                                ]
                            },
                        ]
                    },
                    "preferredDuringSchedulingIgnoredDuringExecution": [
                        {
                            "weight": 100,
                            "preference": {
                                "matchExpressions": [{"key": "example.com/ssd", "operator": "Exists"}]
                            },
                        }
                    ],
                },
                "podAntiAffinity": {
                    "preferredDuringSchedulingIgnoredDuringExecution": [
                        {
                            "weight": 1,
                            "podAffinityTerm": {
                                "topologyKey": "kubernetes.io/hostname",
                                "matchLabelKeys": ["pod-template-hash"],
                                "labelSelector": {"matchLabels": {"app": "other"}},
                                "namespaceSelector": {},
                                "namespaces": ["other"],
                            },
                        }
                    ]
                },
            }
        },
    ],
)
def test_what_kubernetes_takes_is_taken_unchanged(pod: Obj) -> None:
    spec = FlinkClusterSpec.parse({**BASE, "pod": pod})
    ensure_valid(spec)
    objects = render_specs(spec).kubernetes_objects()
    validate_all(objects)
    assert violations(objects) == []
    for _, template, _ in pods(objects):
        container = template["spec"]["containers"][0]
        for entry in pod.get("env", []):
            assert entry in container["env"]
        for mount in pod.get("volumeMounts", []):
            assert mount in container["volumeMounts"]
        for key in ("affinity", "tolerations", "nodeSelector", "serviceAccountName"):
            if key in pod:
                assert template["spec"][key] == pod[key]


def test_claim_and_secret_names_are_dns_subdomains() -> None:
    ha = {"type": "kubernetes", "storageDir": "file:///flink-ha", "volumeClaim": "ha.flink-" + "c" * 200}
    spec = FlinkClusterSpec.parse({**BASE, "highAvailability": ha})
    ensure_valid(spec)
    assert violations(render_specs(spec).kubernetes_objects()) == []
    s3 = {**S3_HA, "credentialsSecret": "s3.credentials"}
    ensure_valid(FlinkClusterSpec.parse({**BASE, "highAvailability": s3}))
    assert only(refusal(highAvailability={**S3_HA, "credentialsSecret": "S3"}))[0] == (
        "highAvailability.credentialsSecret"
    )


def test_quantities_with_whitespace_are_refused() -> None:
    assert only(refusal(taskManager={"cpu": " 1"}))[0] == "taskManager.cpu"
    assert only(refusal(jobManager={"memory": "2Gi "}))[0] == "jobManager.memory"


def test_the_models_know_exactly_the_fields_of_kubernetes_types() -> None:
    """Every modelled type has the fields of Kubernetes' own schema, no more and no fewer."""
    schema_dir = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
    definitions = json.loads(
        (schema_dir / f"v{KUBERNETES_VERSION}-local-strict" / "_definitions.json").read_text()
    )
    types = definitions["$defs"]
    models = {
        "EnvVar": kubernetes_types.EnvVar,
        "EnvVarSource": kubernetes_types.EnvVarSource,
        "ObjectFieldSelector": kubernetes_types.ObjectFieldSelector,
        "ResourceFieldSelector": kubernetes_types.ResourceFieldSelector,
        "ConfigMapKeySelector": kubernetes_types.KeySelector,
        "SecretKeySelector": kubernetes_types.KeySelector,
        "Volume": kubernetes_types.Volume,
        "VolumeMount": kubernetes_types.VolumeMount,
        "EmptyDirVolumeSource": kubernetes_types.EmptyDirVolumeSource,
        "ConfigMapVolumeSource": kubernetes_types.ConfigMapVolumeSource,
        "SecretVolumeSource": kubernetes_types.SecretVolumeSource,
        "PersistentVolumeClaimVolumeSource": kubernetes_types.PersistentVolumeClaimVolumeSource,
        "KeyToPath": kubernetes_types.KeyToPath,
        "Toleration": kubernetes_types.Toleration,
        "Affinity": kubernetes_types.Affinity,
        "NodeAffinity": kubernetes_types.NodeAffinity,
        "NodeSelector": kubernetes_types.NodeSelector,
        "NodeSelectorTerm": kubernetes_types.NodeSelectorTerm,
        "NodeSelectorRequirement": kubernetes_types.NodeSelectorRequirement,
        "PreferredSchedulingTerm": kubernetes_types.PreferredSchedulingTerm,
        "PodAffinity": kubernetes_types.PodAffinity,
        "PodAntiAffinity": kubernetes_types.PodAntiAffinity,
        "PodAffinityTerm": kubernetes_types.PodAffinityTerm,
        "WeightedPodAffinityTerm": kubernetes_types.WeightedPodAffinityTerm,
    }
    meta = {
        "LabelSelector": kubernetes_types.LabelSelector,
        "LabelSelectorRequirement": kubernetes_types.LabelSelectorRequirement,
    }
    named = {f"io.k8s.api.core.v1.{n}": m for n, m in models.items()}
    named |= {f"io.k8s.apimachinery.pkg.apis.meta.v1.{n}": m for n, m in meta.items()}
    for name, model in named.items():
        fields = {info.alias or key for key, info in model.model_fields.items()}
        assert fields == set(types[name]["properties"]), name
        required = {info.alias or key for key, info in model.model_fields.items() if info.is_required()}
        assert set(types[name].get("required", [])) <= required, name
    assert kubernetes_types.volume_sources() == sorted(
        set(types["io.k8s.api.core.v1.Volume"]["properties"]) - {"name"}
    )


# --- the library's own names and paths -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "data", "words"),
    [
        ("/opt/flink/conf", {}, "rendered Flink configuration"),
        ("/opt/flink/conf/", {}, "is the library's mount"),
        ("//opt/flink/conf", {}, "is the library's mount"),
        ("/opt/flink/./conf/x", {}, "is under the library's mount"),
        ("/opt//flink/log", {}, "log files"),
        ("/tmp/scratch", {}, "temporary files"),
        ("/opt/flink", {}, "would hide the library's mount"),
        ("/opt", {}, "would hide"),
        ("/", {}, "would hide"),
        ("/opt/flink/usrlib", {"mode": "application", "job": FETCHED_JOB}, "fetched by the fetch-jar"),
        ("/opt/flink/usrlib/lib", {"mode": "per-job", "jobs": [{"name": "a", **FETCHED_JOB}]}, "fetch-jar"),
        ("/opt/flink/artifacts", {"native": True}, "native Flink keeps the user's artifacts"),
        ("/opt/flink/pod-template", {"native": True}, "native TaskManager pod template"),
        ("/flink-ha", {"highAvailability": CLAIM_HA}, "highAvailability.volumeClaim"),
        ("/flink-ha/x", {"highAvailability": CLAIM_HA}, "highAvailability.volumeClaim"),
        ("/opt/flink/plugins/flink-s3-fs-hadoop-1.20.3", {"highAvailability": S3_HA}, "a plugin's directory"),
        ("/opt/flink/plugins", {"highAvailability": S3_HA}, "would hide"),
    ],
)
def test_mounts_at_under_or_over_the_librarys_are_refused(path: str, data: Obj, words: str) -> None:
    where, text = only(with_mount(path, **data))
    assert where == "pod.volumeMounts[0].mountPath"
    assert words in text, text
    assert "mount elsewhere" in text


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/opt/flink/usrlib", {}),  # no job fetched: the image's usrlib is the user's
        ("/opt/flink/artifacts", {}),  # standalone: no artifacts directory
        ("/opt/flink/artifacts", {"native": True, "flinkVersion": "1.18"}),  # before 1.19
        ("/flink-ha", {"highAvailability": S3_HA}),  # HA on an object store: no claim mounted
        ("/opt/flink/plugins/my-plugin", {}),  # a plugin directory the library does not make
        ("/opt/flink/lib-extra", {}),  # a sibling, not a child
        ("/tmpdata", {}),
    ],
)
def test_paths_the_library_does_not_mount_for_the_spec_are_free(path: str, data: Obj) -> None:
    pod = {"volumes": [DATA], "volumeMounts": [{"name": "data", "mountPath": path}]}
    spec = FlinkClusterSpec.parse({**BASE, **data, "pod": pod})
    ensure_valid(spec)
    assert violations(render_specs(spec).kubernetes_objects()) == []


@pytest.mark.parametrize(
    ("name", "data", "reserved"),
    [
        ("usrlib", {"mode": "application", "job": FETCHED_JOB}, True),
        ("usrlib", {}, False),
        ("user-artifacts-volume", {"native": True}, True),
        ("user-artifacts-volume", {}, False),
        ("pod-template-volume", {"native": True}, True),
        ("flink-config-volume", {"native": True}, True),
        ("flink-config", {}, True),
        ("ha-storage", {"highAvailability": CLAIM_HA}, True),
        ("ha-storage", {}, False),
        ("flink-plugin-3", {}, True),  # any plugin volume: the env's plugins may change
    ],
)
def test_volume_names_are_the_librarys_when_its_pods_have_them(name: str, data: Obj, reserved: bool) -> None:
    pod = {"volumes": [{"name": name, "emptyDir": {}}]}
    if reserved:
        assert only(refusal(pod=pod, **data)) == (
            "pod.volumes[0].name",
            f"{name!r} is the library's own volume. Fix: pick another name",
        )
    else:
        ensure_valid(FlinkClusterSpec.parse({**BASE, **data, "pod": pod}))


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("POD_IP", {"highAvailability": S3_HA}, "standalone JobManager advertises"),
        (
            "POD_IP",
            {"mode": "per-job", "jobs": [{"name": "a", **FETCHED_JOB}], "highAvailability": S3_HA},
            "standalone JobManager",
        ),
        ("_POD_IP_ADDRESS", {"native": True}, "native JobManager advertises"),
        ("ENABLE_BUILT_IN_PLUGINS", {"highAvailability": S3_HA}, "filesystem plugin"),
        ("FLINK_POD_NAME", {"logging": {"toFile": True, "volumeClaim": "logs"}}, "log directory"),
    ],
)
def test_env_the_library_sets_is_refused(name: str, data: Obj, words: str) -> None:
    where, text = only(
        refusal(pod={"env": [{"name": "TZ", "value": "UTC"}, {"name": name, "value": "x"}]}, **data)
    )
    assert where == "pod.env[1].name"
    assert words in text and "the library sets" in text and "another name" in text, text


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("POD_IP", {}),  # without HA the library advertises the Service name, not $(POD_IP)
        ("ENABLE_BUILT_IN_PLUGINS", {}),  # the user's own plugins, without an HA object store
        ("FLINK_POD_NAME", {"logging": {"toFile": True}}),
    ],
)
def test_env_the_library_does_not_set_for_the_spec_is_the_users(name: str, data: Obj) -> None:
    spec = FlinkClusterSpec.parse({**BASE, **data, "pod": {"env": [{"name": name, "value": "x.jar"}]}})
    ensure_valid(spec)
    assert violations(render_specs(spec).kubernetes_objects()) == []


# --- sizes ------------------------------------------------------------------------------------------


def nothing_registered(cluster: Obj) -> FlinkSpecError:
    render = Render()
    with pytest.raises(FlinkSpecError) as info:
        run_program(lambda: FlinkCluster("analytics", snake_args(cluster)), into=render)
    assert render.resources == []
    return info.value


def test_annotations_past_kubernetes_limit_are_refused_before_registering() -> None:
    big = {f"example.com/note-{i}": "x" * 1000 for i in range(MAX_ANNOTATIONS_BYTES // 1000)}
    error = nothing_registered({**BASE, "annotations": big})
    assert [p.path for p in error.problems] == ["annotations"]
    assert "at most 262144" in str(error)
    error = nothing_registered({**BASE, "rest": {"annotations": big}})
    assert [p.path for p in error.problems] == ["rest.annotations"]


def test_annotations_just_within_the_limit_render() -> None:
    room = MAX_ANNOTATIONS_BYTES - LIBRARY_ANNOTATIONS_BYTES
    annotations = {"example.com/note": "x" * (room - len("example.com/note"))}
    assert annotations_bytes(annotations) == room
    objects = render_specs(make_spec(annotations=annotations)).kubernetes_objects()
    assert violations(objects) == []


def test_a_configuration_past_a_config_maps_limit_is_refused() -> None:
    config = {f"example.setting-{i}": "x" * 1000 for i in range(MAX_CONFIG_MAP_BYTES // 1000)}
    error = nothing_registered({**BASE, "flinkConfiguration": config})
    assert [p.path for p in error.problems] == ["flinkConfiguration"]
    assert "ConfigMap analytics-config" in str(error) and "1024 KiB" in str(error)


def test_a_native_pod_template_past_a_config_maps_limit_is_refused() -> None:
    env = [{"name": f"SETTING_{i}", "value": "x" * 4000} for i in range(MAX_CONFIG_MAP_BYTES // 4000)]
    error = nothing_registered({**BASE, "native": True, "pod": {"env": env}})
    assert [p.path for p in error.problems] == ["pod"]
    assert "TaskManager pod template" in str(error)


def library_annotation_bytes(objects: list[Obj], user_keys: set[str]) -> int:
    metadata = [o["metadata"] for o in objects] + [t.get("metadata") or {} for _, t, _ in pods(objects)]
    return max(
        annotations_bytes({k: v for k, v in (m.get("annotations") or {}).items() if k not in user_keys})
        for m in metadata
    )


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_the_librarys_own_annotations_fit_the_room_kept_for_them(variant: str) -> None:
    spec = (
        make_spec(**VARIANTS[variant], mode="per-job", jobs=[{"name": "a", **FETCHED_JOB}])
        if variant == "defaults"
        else make_spec(**VARIANTS[variant])
    )
    objects = render_specs(spec).kubernetes_objects()
    user = set(spec.annotations) | set(spec.rest.annotations)
    assert 0 < library_annotation_bytes(objects, user) <= LIBRARY_ANNOTATIONS_BYTES


# --- every shipped render keeps Kubernetes' rules -----------------------------------------------------


@pytest.mark.parametrize("stack_file", sorted(STACK_DIR.glob("Pulumi.*.yaml")), ids=lambda p: p.name)
def test_every_shipped_stack_keeps_the_rules_beyond_the_schema(stack_file: Path) -> None:
    objects = render_stack(parse_stack_config(load_stack_file(stack_file))).kubernetes_objects()
    assert list(pods(objects))
    assert violations(objects) == []


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_variant_keeps_the_rules_beyond_the_schema(variant: str) -> None:
    assert violations(render_specs(make_spec(**VARIANTS[variant])).kubernetes_objects()) == []


def test_the_rules_catch_what_kubernetes_refuses() -> None:
    """The independent checker is not vacuous: each broken rule is seen."""
    objects = render_specs(make_spec(**VARIANTS["pod-hooks"])).kubernetes_objects()
    (deployment,) = [
        o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"] == "analytics-taskmanager"
    ]
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    container["env"].append({"name": "TZ", "value": "x"})
    container["volumeMounts"].append({"name": "gone", "mountPath": "/data/"})
    pod["volumes"].append({"name": "data", "emptyDir": {}, "secret": {"secretName": "s"}})
    pod["imagePullSecrets"] = [{"name": "Registry"}]
    deployment["metadata"]["annotations"] = {"example.com/a": "x" * MAX_ANNOTATIONS_BYTES}
    found = "\n".join(violations(objects))
    for words in (
        "env 'TZ' twice",
        "two mounts at /data",
        "missing volume 'gone'",
        "volume 'data' twice",
        "has sources",
        "image pull secret",
        "annotations take",
    ):
        assert words in found, (words, found)


# --- property: hostile pod entries are refused at a pod path, or render what Kubernetes takes ------------

# Each entry is good (what Kubernetes takes, clear of the library's names) or hostile.
GOOD_ENV = st.builds(
    lambda n, v: {"name": n, **v},
    st.one_of(
        st.sampled_from(["TZ", "my.var", "X-Y", "_X"]), st.from_regex(r"[A-Z][A-Z0-9_]{0,8}", fullmatch=True)
    ),
    st.sampled_from(
        [{"value": "UTC"}, {"value": ""}, {"valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}]
    ),
)
HOSTILE_ENV = st.builds(
    lambda n, v: {"name": n, **v},
    st.sampled_from(
        [
            "POD_IP",
            "_POD_IP_ADDRESS",
            "ENABLE_BUILT_IN_PLUGINS",
            "FLINK_POD_NAME",
            "FLINK_PROPERTIES",
            "1X",
            "A B",
            "A=B",
            "",
            "TZ",
        ]
    ),
    st.sampled_from(
        [
            {"value": "UTC"},
            {"value": 1},
            {"value": None},
            {"valeu": "x"},
            {},
            {"valueFrom": {}},
            {"value": "x", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {
                "valueFrom": {
                    "fieldRef": {"fieldPath": "status.podIP"},
                    "secretKeyRef": {"name": "s", "key": "k"},
                }
            },
        ]
    ),
)
GOOD_SOURCES = [
    {"emptyDir": {}},
    {"secret": {"secretName": "tls"}},
    {"configMap": {"name": "extra"}},
    {"persistentVolumeClaim": {"claimName": "shared"}},
    {"emptyDir": {"sizeLimit": "1Gi"}},
]
HOSTILE_SOURCES = [
    {"emptyDir": {"sizeLimit": "1 Gi"}},
    {"emptyDir": {}, "secret": {"secretName": "tls"}},
    {},
    {"bogus": {}},
    {"secret": {"name": "tls"}},
    {"emptyDir": []},
]
LIBRARY_VOLUMES = [
    "flink-config",
    "flink-tmp",
    "flink-log",
    "usrlib",
    "ha-storage",
    "flink-plugin-0",
    "user-artifacts-volume",
    "pod-template-volume",
    "flink-config-volume",
]
GOOD_PATHS = ["/data", "/mnt/cache", "/srv/x", "/opt/flink/lib-extra"]
LIBRARY_PATHS = [
    "/opt/flink/conf",
    "/opt/flink/log",
    "/tmp",
    "/opt/flink/usrlib",
    "/flink-ha",
    "/opt/flink",
    "/opt/flink/artifacts",
    "/opt/flink/plugins/flink-s3-fs-hadoop-1.20.3",
    "/opt/flink/pod-template",
]


def spelled(draw: st.DrawFn, path: str, hostile: bool) -> str:
    """``path`` as a user may write it: doubled or trailing slashes, '.', and (hostile) '..'
    or no leading slash."""
    parts = path.strip("/").split("/")
    if hostile and draw(st.booleans()):
        parts = [*parts, draw(st.sampled_from(["..", "x/..", "../x"]))]
    if draw(st.booleans()):
        parts.insert(draw(st.integers(0, len(parts))), ".")
    text = draw(st.sampled_from(["/", "//"])) + draw(st.sampled_from(["/", "//"])).join(parts)
    text += draw(st.sampled_from(["", "/"]))
    return text.lstrip("/") if hostile and draw(st.integers(0, 5)) == 0 else text


@st.composite
def hostile_pods(draw: st.DrawFn) -> Obj:
    def hostile() -> bool:
        return draw(st.integers(0, 4)) == 0  # one entry in five

    pod: Obj = {}
    env = [draw(HOSTILE_ENV if hostile() else GOOD_ENV) for _ in range(draw(st.integers(0, 3)))]
    volumes = []
    for index in range(draw(st.integers(0, 3))):
        bad = hostile()
        name = draw(st.sampled_from([*LIBRARY_VOLUMES, "Data", "d_1"])) if bad else f"vol-{index}"
        source = draw(st.sampled_from(HOSTILE_SOURCES if bad and draw(st.booleans()) else GOOD_SOURCES))
        volumes.append({"name": name, **source})
    mounts = []
    for _ in range(draw(st.integers(0, len(volumes) + 1))):
        bad = hostile()
        names = [v["name"] for v in volumes] or ["missing"]
        name = draw(st.sampled_from(names if not bad or draw(st.booleans()) else [*names, "missing"]))
        path = draw(st.sampled_from(LIBRARY_PATHS if bad else GOOD_PATHS))
        mount = {"name": name, "mountPath": spelled(draw, path, bad)}
        mount.update(
            draw(
                st.sampled_from(
                    [{}, {"readOnly": True}, {"subPath": "../x"}, {"mountpath": "/x"}]
                    if bad
                    else [{}, {"readOnly": True}, {"subPath": "logs"}]
                )
            )
        )
        mounts.append(mount)
    for key, entries in (("env", env), ("volumes", volumes), ("volumeMounts", mounts)):
        if entries:
            pod[key] = entries
    if draw(st.booleans()):
        pod["tolerations"] = [
            draw(
                st.sampled_from(
                    [
                        {"key": "dedicated", "operator": "Exists", "effect": "NoSchedule"},
                        {"key": "dedicated", "operator": "Exists", "value": "flink"}
                        if hostile()
                        else {"operator": "Exists"},
                        {"value": "x"} if hostile() else {"key": "a", "value": "b"},
                    ]
                )
            )
        ]
    if draw(st.booleans()):
        key = draw(st.sampled_from(["bad key", "/x"] if hostile() else ["pool", "example.com/zone"]))
        pod["nodeSelector"] = {key: draw(st.sampled_from(["a b", "x" * 64] if hostile() else ["flink", ""]))}
    return pod


CLUSTERS = st.sampled_from(
    [
        {},
        {"mode": "application", "job": FETCHED_JOB},
        {"native": True},
        {"highAvailability": S3_HA},
        {"highAvailability": CLAIM_HA, "jobManager": {"replicas": 2}},
        {"logging": {"toFile": True, "volumeClaim": "logs"}},
        {"mode": "per-job", "jobs": [{"name": "a", **FETCHED_JOB}]},
    ]
)


def assert_kubernetes_takes(objects: list[Obj]) -> None:
    validate_all(objects)
    assert violations(objects) == []


@fuzz_settings(120)
@given(cluster=CLUSTERS, pod=hostile_pods())
def test_hostile_pod_entries_are_refused_at_their_path_or_render_what_kubernetes_takes(
    cluster: Obj, pod: Obj
) -> None:
    try:
        spec = FlinkClusterSpec.parse({**BASE, **cluster, "pod": pod})
        ensure_valid(spec)
    except FlinkSpecError as error:
        assert all(p.path.startswith("pod.") or p.path == "pod" for p in error.problems), error
        return
    assert_kubernetes_takes(render_specs(spec).kubernetes_objects())
