"""Components under Pulumi's mocks: the wire inputs each one registers."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest

from pulumi_flink.model.naming import CONFIG_CHECKSUM_ANNOTATION
from pulumi_flink.offline.renderer import RecordedResource, Render, run_program
from pulumi_flink.package.package_args import spec_args
from pulumi_flink.render.flink_config import render_config
from pulumi_flink.resources.cluster import FlinkCluster
from pulumi_flink.resources.configuration import FlinkConfiguration
from pulumi_flink.resources.rbac import FlinkRbac
from pulumi_flink.resources.services import FlinkServices
from pulumi_flink.resources.workloads import JobManager, TaskManager
from pulumi_flink.spec import FlinkClusterSpec
from pulumi_flink.spec.errors import FlinkSpecError
from tests.support.rendering import make_spec, objects_by_kind_name, render_specs

SELECTOR = {"app.kubernetes.io/name": "flink", "app.kubernetes.io/instance": "analytics"}


def by_name(render: Render) -> dict[str, RecordedResource]:
    return {r.name: r for r in render.resources}


def pod_spec(obj: dict[str, Any]) -> dict[str, Any]:
    return obj["spec"]["template"]["spec"]


def test_session_cluster_registers_exactly_these_objects() -> None:
    objects = objects_by_kind_name(render_specs(make_spec()))
    assert sorted(objects) == [
        ("ConfigMap", "analytics-config"),
        ("Deployment", "analytics-jobmanager"),
        ("Deployment", "analytics-taskmanager"),
        ("NetworkPolicy", "analytics-jobmanager"),
        ("NetworkPolicy", "analytics-taskmanager"),
        ("PodDisruptionBudget", "analytics-taskmanager"),
        ("Service", "analytics-jobmanager"),
        ("Service", "analytics-rest"),
        ("ServiceAccount", "analytics-flink"),
    ]
    assert all(o["metadata"]["namespace"] == "flink" for o in objects.values())


def test_component_tree_and_names_are_prefixed() -> None:
    render = render_specs(make_spec())
    resources = by_name(render)
    cluster = resources["analytics"]
    assert cluster.type == "flink:index:FlinkCluster" and not cluster.custom
    for child in (
        "analytics-configuration",
        "analytics-rbac",
        "analytics-services",
        "analytics-jobmanager",
        "analytics-taskmanager",
    ):
        assert resources[child].parent == cluster.urn
        assert not resources[child].custom
    for r in render.resources:
        if r.custom:
            assert r.name.startswith("analytics-")
            assert not render.by_urn[r.parent].custom
    assert len({r.urn for r in render.resources}) == len(render.resources)


def test_deployments_run_the_images_entrypoint_commands() -> None:
    objects = objects_by_kind_name(
        render_specs(make_spec(image="registry.example/flink:1.20.3", imagePullPolicy="Always"))
    )
    jm = pod_spec(objects[("Deployment", "analytics-jobmanager")])["containers"][0]
    tm = pod_spec(objects[("Deployment", "analytics-taskmanager")])["containers"][0]
    assert jm["args"] == ["jobmanager"] and tm["args"] == ["taskmanager"]
    assert "command" not in jm and "command" not in tm
    assert jm["image"] == tm["image"] == "registry.example/flink:1.20.3"
    assert jm["imagePullPolicy"] == "Always"
    assert {p["name"]: p["containerPort"] for p in jm["ports"]} == {
        "rpc": 6123, "blob": 6124, "rest": 8081, "metrics": 9249
    }
    ports = {p["name"]: p["containerPort"] for p in tm["ports"]}
    assert ports == {"rpc": 6122, "data": 6121, "metrics": 9249}


def test_replicas_resources_and_memory_limit_equal_flinks_process_size() -> None:
    spec = make_spec(
        jobManager={"cpu": "500m", "memory": "2Gi"}, taskManager={"replicas": 3, "cpu": "2", "memory": "4Gi"}
    )
    objects = objects_by_kind_name(render_specs(spec))
    jm = objects[("Deployment", "analytics-jobmanager")]
    tm = objects[("Deployment", "analytics-taskmanager")]
    assert jm["spec"]["replicas"] == 1 and tm["spec"]["replicas"] == 3
    assert pod_spec(jm)["containers"][0]["resources"] == {
        "requests": {"cpu": "500m", "memory": "2048Mi"},
        "limits": {"cpu": "500m", "memory": "2048Mi"},
    }
    assert pod_spec(tm)["containers"][0]["resources"]["limits"] == {"cpu": "2", "memory": "4096Mi"}
    config = objects[("ConfigMap", "analytics-config")]["data"]["flink-conf.yaml"]
    assert "taskmanager.memory.process.size: 4096m\n" in config
    assert "jobmanager.memory.process.size: 2048m\n" in config


def test_services_select_exactly_the_jobmanager_pods() -> None:
    objects = objects_by_kind_name(render_specs(make_spec()))
    jm_labels = objects[("Deployment", "analytics-jobmanager")]["spec"]["template"]["metadata"]["labels"]
    tm_labels = objects[("Deployment", "analytics-taskmanager")]["spec"]["template"]["metadata"]["labels"]
    for name in ("analytics-jobmanager", "analytics-rest"):
        selector = objects[("Service", name)]["spec"]["selector"]
        assert selector == {**SELECTOR, "app.kubernetes.io/component": "jobmanager"}
        assert selector.items() <= jm_labels.items()
        assert not selector.items() <= tm_labels.items()
    internal = objects[("Service", "analytics-jobmanager")]["spec"]
    assert internal["type"] == "ClusterIP"
    assert [(p["name"], p["port"], p["targetPort"]) for p in internal["ports"]] == [
        ("rpc", 6123, "rpc"),
        ("blob", 6124, "blob"),
    ]
    rest = objects[("Service", "analytics-rest")]["spec"]
    assert [(p["name"], p["port"]) for p in rest["ports"]] == [("rest", 8081)]


def test_deployment_selectors_match_their_own_pods_only() -> None:
    objects = objects_by_kind_name(render_specs(make_spec()))
    for component in ("jobmanager", "taskmanager"):
        deployment = objects[("Deployment", f"analytics-{component}")]
        selector = deployment["spec"]["selector"]["matchLabels"]
        assert selector == {**SELECTOR, "app.kubernetes.io/component": component}
        assert selector.items() <= deployment["spec"]["template"]["metadata"]["labels"].items()


@pytest.mark.parametrize(
    ("rest", "service_type", "node_port"),
    [
        ({}, "ClusterIP", None),
        ({"exposure": "NodePort"}, "NodePort", None),
        ({"exposure": "NodePort", "nodePort": 30081}, "NodePort", 30081),
        (
            {
                "exposure": "LoadBalancer",
                "annotations": {"service.beta.kubernetes.io/aws-load-balancer-internal": "true"},
            },
            "LoadBalancer",
            None,
        ),
    ],
)
def test_rest_exposure(rest: dict[str, Any], service_type: str, node_port: int | None) -> None:
    service = objects_by_kind_name(render_specs(make_spec(rest=rest)))[("Service", "analytics-rest")]
    assert service["spec"]["type"] == service_type
    assert service["spec"]["ports"][0].get("nodePort") == node_port
    for key, value in rest.get("annotations", {}).items():
        assert service["metadata"]["annotations"][key] == value
    internal = objects_by_kind_name(render_specs(make_spec(rest=rest)))[("Service", "analytics-jobmanager")]
    assert internal["spec"]["type"] == "ClusterIP"


def test_labels_are_recommended_and_extra_labels_and_annotations_reach_everything() -> None:
    objects = render_specs(
        make_spec(labels={"team": "data"}, annotations={"owner": "platform"})
    ).kubernetes_objects()
    for obj in objects:
        labels = obj["metadata"]["labels"]
        assert labels["app.kubernetes.io/name"] == "flink"
        assert labels["app.kubernetes.io/instance"] == "analytics"
        assert labels["app.kubernetes.io/managed-by"] == "pulumi-flink"
        assert labels["app.kubernetes.io/version"] == "1.20"
        assert labels["team"] == "data"
        assert obj["metadata"]["annotations"]["owner"] == "platform"
        if obj["kind"] == "Deployment":
            template = obj["spec"]["template"]["metadata"]
            assert template["labels"]["team"] == "data"
            assert template["annotations"]["owner"] == "platform"


def test_config_checksum_on_pod_templates_follows_the_config() -> None:
    def checksums(spec: FlinkClusterSpec) -> set[str]:
        objects = objects_by_kind_name(render_specs(spec))
        return {
            objects[("Deployment", f"analytics-{c}")]["spec"]["template"]["metadata"]["annotations"][
                CONFIG_CHECKSUM_ANNOTATION
            ]
            for c in ("jobmanager", "taskmanager")
        }

    base = make_spec()
    assert checksums(base) == {render_config(base).checksum}
    assert checksums(make_spec(flinkConfiguration={"state.backend.type": "rocksdb"})) != checksums(base)


def test_config_map_is_mounted_read_only_at_the_conf_dir() -> None:
    objects = objects_by_kind_name(render_specs(make_spec(flinkVersion="2.3")))
    config_map = objects[("ConfigMap", "analytics-config")]
    assert set(config_map["data"]) == {"config.yaml", "log4j-console.properties", "log4j-cli.properties"}
    for component in ("jobmanager", "taskmanager"):
        pod = pod_spec(objects[("Deployment", f"analytics-{component}")])
        (volume,) = [v for v in pod["volumes"] if v["name"] == "flink-config"]
        assert volume["configMap"]["name"] == "analytics-config"
        assert {i["key"] for i in volume["configMap"]["items"]} == set(config_map["data"])
        (mount,) = [m for m in pod["containers"][0]["volumeMounts"] if m["name"] == "flink-config"]
        assert mount == {"name": "flink-config", "mountPath": "/opt/flink/conf", "readOnly": True}


def test_standalone_session_mounts_no_token_and_has_no_role() -> None:
    render = render_specs(make_spec())
    kinds = {r.type for r in render.resources}
    assert "kubernetes:rbac.authorization.k8s.io/v1:Role" not in kinds
    assert "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding" not in kinds
    objects = objects_by_kind_name(render)
    assert objects[("ServiceAccount", "analytics-flink")]["automountServiceAccountToken"] is False
    for component in ("jobmanager", "taskmanager"):
        pod = pod_spec(objects[("Deployment", f"analytics-{component}")])
        assert pod["serviceAccountName"] == "analytics-flink"
        assert pod["automountServiceAccountToken"] is False


def test_existing_service_account_is_used_not_created() -> None:
    render = render_specs(make_spec(pod={"serviceAccountName": "shared"}))
    objects = objects_by_kind_name(render)
    assert not any(kind == "ServiceAccount" for kind, _ in objects)
    assert pod_spec(objects[("Deployment", "analytics-jobmanager")])["serviceAccountName"] == "shared"


def test_pod_hooks_reach_both_pods() -> None:
    hooks = {
        "env": [
            {"name": "TZ", "value": "UTC"},
            {"name": "KEY", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}},
        ],
        "volumes": [{"name": "data", "emptyDir": {}}],
        "volumeMounts": [{"name": "data", "mountPath": "/data"}],
        "nodeSelector": {"pool": "flink"},
        "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "flink", "effect": "NoSchedule"}],
        "affinity": {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}
                    ]
                }
            }
        },
        "imagePullSecrets": ["registry"],
    }
    objects = objects_by_kind_name(render_specs(make_spec(pod=hooks)))
    for component in ("jobmanager", "taskmanager"):
        pod = pod_spec(objects[("Deployment", f"analytics-{component}")])
        container = pod["containers"][0]
        assert container["env"] == hooks["env"]
        assert {"name": "data", "mountPath": "/data"} in container["volumeMounts"]
        assert {"name": "data", "emptyDir": {}} in pod["volumes"]
        assert pod["nodeSelector"] == {"pool": "flink"}
        assert pod["tolerations"] == hooks["tolerations"]
        assert pod["affinity"] == hooks["affinity"]
        assert pod["imagePullSecrets"] == [{"name": "registry"}]


def test_unset_pod_hooks_leave_no_empty_fields() -> None:
    pod = pod_spec(objects_by_kind_name(render_specs(make_spec()))[("Deployment", "analytics-taskmanager")])
    assert not {"nodeSelector", "tolerations", "affinity", "imagePullSecrets"} & set(pod)
    assert "env" not in pod["containers"][0]


def test_waits_only_for_what_pods_need() -> None:
    render = render_specs(make_spec())
    resources = by_name(render)
    urn = {name: r.urn for name, r in resources.items()}
    for deployment in ("analytics-jobmanager-deployment", "analytics-taskmanager-deployment"):
        deps = set(resources[deployment].dependencies)
        assert deps == {urn["analytics-configuration-config"], urn["analytics-rbac-service-account"]}
    assert (
        urn["analytics-jobmanager-deployment"]
        not in resources["analytics-taskmanager-deployment"].dependencies
    )
    for name in (
        "analytics-configuration-config",
        "analytics-services-jobmanager",
        "analytics-services-rest",
        "analytics-rbac-service-account",
    ):
        assert resources[name].dependencies == ()
    assert render.wait_chain() == [
        urn["analytics-configuration-config"],
        urn["analytics-jobmanager-deployment"],
    ]


def test_outputs() -> None:
    outputs: dict[str, Any] = {}

    def program() -> Any:
        cluster = FlinkCluster("analytics", spec_args(make_spec(namespace="streaming")))
        return pulumi.Output.all(
            cluster.namespace,
            cluster.jobmanager_service_name,
            cluster.rest_endpoint,
            cluster.cluster_name,
            cluster.rest_service_name,
        ).apply(lambda v: outputs.update(zip(["ns", "jm", "rest", "name", "restsvc"], v, strict=True)))

    run_program(program)
    assert outputs == {
        "ns": "streaming",
        "jm": "analytics-jobmanager",
        "rest": "http://analytics-rest.streaming.svc:8081",
        "name": "analytics",
        "restsvc": "analytics-rest",
    }


def test_callers_provider_and_parent_reach_every_child() -> None:
    def program() -> None:
        provider = k8s.Provider("team-cluster", namespace="ignored")
        parent = pulumi.ComponentResource("acme:platform:DataPlatform", "platform")
        opts = pulumi.ResourceOptions(parent=parent, providers=[provider])
        FlinkCluster("analytics", spec_args(make_spec()), opts=opts)

    render = run_program(program)
    resources = by_name(render)
    assert resources["analytics"].parent == resources["platform"].urn
    provider_urn = resources["team-cluster"].urn
    k8s_objects = render.kubernetes_resources()
    assert len(k8s_objects) == 9
    for r in k8s_objects:
        assert r.provider.startswith(provider_urn + "::"), r.name
        ancestors, parent = [], r.parent
        while parent:
            ancestors.append(parent)
            parent = render.by_urn[parent].parent if parent in render.by_urn else ""
        assert resources["analytics"].urn in ancestors and resources["platform"].urn in ancestors


def test_bad_spec_registers_nothing() -> None:
    def program() -> None:
        FlinkCluster("analytics", spec_args(make_spec(taskManager={"memory": "300Mi"})))

    render = Render()
    with pytest.raises(FlinkSpecError, match=r"taskManager\.memory"):
        run_program(program, into=render)
    assert render.resources == []


@pytest.mark.parametrize(
    "component", ["FlinkConfiguration", "FlinkServices", "FlinkRbac", "JobManager", "TaskManager"]
)
def test_every_component_validates_before_registering(component: str) -> None:
    bad = make_spec().model_copy(update={"flink_configuration": {"rest.port": 1}})
    render = Render()

    def program() -> None:
        good = make_spec()
        constructors = {
            "FlinkConfiguration": lambda s: FlinkConfiguration("c", s),
            "FlinkServices": lambda s: FlinkServices("c", s),
            "FlinkRbac": lambda s: FlinkRbac("c", s),
            "JobManager": lambda s: JobManager("c", s, render_config(good), "sa"),
            "TaskManager": lambda s: TaskManager("c", s, render_config(good), "sa"),
        }
        constructors[component](bad)

    with pytest.raises(FlinkSpecError, match=r"rest\.port"):
        run_program(program, into=render)
    assert render.resources == []


def test_components_work_on_their_own() -> None:
    spec = make_spec()

    def program() -> None:
        config = FlinkConfiguration("cfg", spec)
        rbac = FlinkRbac(
            "ids", spec, rules=[{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "watch"]}]
        )
        TaskManager(
            "tms",
            spec,
            config.rendered,
            rbac.service_account_name,
            rbac.automount_token,
            needs=[config.config_map, *rbac.pod_needs],
        )

    render = run_program(program)
    objects = objects_by_kind_name(render)
    assert ("Role", "analytics-flink") in objects and ("RoleBinding", "analytics-flink") in objects
    role = objects[("Role", "analytics-flink")]
    assert role["rules"] == [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "watch"]}]
    binding = objects[("RoleBinding", "analytics-flink")]
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "analytics-flink", "namespace": "flink"}
    ]
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": "analytics-flink",
    }
    # The account never mounts a token by itself; the pods that need one ask for it.
    assert objects[("ServiceAccount", "analytics-flink")]["automountServiceAccountToken"] is False
    tm = objects[("Deployment", "analytics-taskmanager")]
    assert pod_spec(tm)["automountServiceAccountToken"] is True
    resources = by_name(render)
    assert resources["ids-role-binding"].urn in resources["tms-deployment"].dependencies
    assert resources["ids-role"].urn in resources["tms-deployment"].dependencies
    assert ("Deployment", "analytics-jobmanager") not in objects


def test_two_clusters_in_one_namespace_never_collide() -> None:
    render = render_specs(make_spec(name="orders"), make_spec(name="payments"))
    objects = render.kubernetes_objects()
    keys = [(o["kind"], o["metadata"]["namespace"], o["metadata"]["name"]) for o in objects]
    assert len(keys) == len(set(keys)) == 18
    assert len({r.urn for r in render.resources}) == len(render.resources)
    services = [o for o in objects if o["kind"] == "Service"]
    assert {s["spec"]["selector"]["app.kubernetes.io/instance"] for s in services} == {"orders", "payments"}
