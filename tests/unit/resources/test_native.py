"""Native session and application: objects, configuration per version, RBAC, validation.

What Flink's own client would create for the same configuration is compared in
tests/flink/test_native_factories.py; this file covers the library's side under mocks.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from pulumi_flink.model.naming import DEPLOYMENT_MODE_ANNOTATION
from pulumi_flink.render.flink_config import render_config, render_config_yaml, render_flink_conf_yaml
from pulumi_flink.spec import FlinkClusterSpec
from pulumi_flink.spec.errors import FlinkSpecError
from pulumi_flink.validation import cluster_warnings
from tests.support.rendering import make_spec, objects_by_kind_name, render_specs

JAR = "/opt/flink/jobs/orders.jar"


def native(**overrides: Any) -> FlinkClusterSpec:
    return make_spec(native=True, **overrides)


def native_application(**job: Any) -> FlinkClusterSpec:
    return native(mode="application", job={"jar": JAR, "entryClass": "com.example.Orders", **job})


def pod(obj: dict[str, Any]) -> dict[str, Any]:
    return obj["spec"]["template"]["spec"]


@pytest.mark.parametrize("spec", [native(), native_application()], ids=["session", "application"])
def test_native_objects_use_flinks_names(spec: FlinkClusterSpec) -> None:
    objects = objects_by_kind_name(render_specs(spec))
    assert sorted(objects) == [
        ("ConfigMap", "flink-config-analytics"),
        ("ConfigMap", "pod-template-analytics"),
        ("Deployment", "analytics"),
        ("NetworkPolicy", "analytics-jobmanager"),
        ("NetworkPolicy", "analytics-taskmanager"),
        ("Role", "analytics-flink"),
        ("RoleBinding", "analytics-flink"),
        ("Service", "analytics"),
        ("Service", "analytics-rest"),
        ("ServiceAccount", "analytics-flink"),
    ]
    (container,) = pod(objects[("Deployment", "analytics")])["containers"]
    assert container["command"] == ["/docker-entrypoint.sh"]
    assert container["args"] == ["bash", "-c", f"kubernetes-jobmanager.sh kubernetes-{spec.mode}"]


def test_native_role_is_least_privilege_and_only_the_jobmanager_has_a_token() -> None:
    objects = objects_by_kind_name(render_specs(native()))
    assert objects[("Role", "analytics-flink")]["rules"] == [
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["create", "delete", "list", "watch"]},
        {
            "apiGroups": ["apps"],
            "resources": ["deployments"],
            "resourceNames": ["analytics"],
            "verbs": ["delete", "get"],
        },
        {
            "apiGroups": ["apps"],
            "resources": ["deployments/finalizers"],
            "resourceNames": ["analytics"],
            "verbs": ["update"],
        },
    ]
    assert objects[("RoleBinding", "analytics-flink")]["subjects"] == [
        {"kind": "ServiceAccount", "name": "analytics-flink", "namespace": "flink"}
    ]
    assert all(o["kind"] != "ClusterRole" and o["kind"] != "ClusterRoleBinding" for o in objects.values())
    assert objects[("ServiceAccount", "analytics-flink")]["automountServiceAccountToken"] is False
    assert pod(objects[("Deployment", "analytics")])["automountServiceAccountToken"] is True
    template = yaml.safe_load(
        objects[("ConfigMap", "pod-template-analytics")]["data"]["taskmanager-pod-template.yaml"]
    )
    assert template["spec"]["automountServiceAccountToken"] is False


def test_an_existing_service_account_gets_the_role() -> None:
    objects = objects_by_kind_name(render_specs(native(pod={"serviceAccountName": "shared"})))
    assert ("ServiceAccount", "analytics-flink") not in objects
    assert objects[("RoleBinding", "analytics-flink")]["subjects"][0]["name"] == "shared"
    assert (
        render_config(native(pod={"serviceAccountName": "shared"})).values["kubernetes.service-account"]
        == "shared"
    )


def test_the_deployment_waits_for_the_role_and_the_template() -> None:
    render = render_specs(native())
    resources = {r.name: r for r in render.resources}
    waits = {r.name for r in render.waits_of(resources["analytics-jobmanager-deployment"])}
    assert waits == {
        "analytics-configuration-config",
        "analytics-rbac-service-account",
        "analytics-rbac-role",
        "analytics-rbac-role-binding",
        "analytics-taskmanager-template-config",
    }


def test_native_configuration_is_what_flinks_client_writes() -> None:
    values = render_config(
        native(
            jobManager={"cpu": "500m"},
            taskManager={"cpu": "2", "slots": 3},
            rest={"exposure": "LoadBalancer"},
        )
    ).values
    assert {k: values[k] for k in values if k.startswith(("kubernetes.", "execution.target"))} == {
        "execution.target": "kubernetes-session",
        "kubernetes.cluster-id": "analytics",
        "kubernetes.namespace": "flink",
        "kubernetes.container.image.ref": "flink:1.20-java17",
        "kubernetes.container.image.pull-policy": "IfNotPresent",
        "kubernetes.service-account": "analytics-flink",
        "kubernetes.jobmanager.cpu.amount": 0.5,
        "kubernetes.taskmanager.cpu.amount": 2,
        "kubernetes.rest-service.exposed.type": "LoadBalancer",
        "kubernetes.pod-template-file.taskmanager": "/opt/flink/pod-template/taskmanager-pod-template.yaml",
    }
    assert values["jobmanager.rpc.address"] == "analytics.flink"
    assert values["taskmanager.numberOfTaskSlots"] == 3


def test_older_releases_get_the_original_key_names() -> None:
    values = render_config(native(flinkVersion="1.16")).values
    assert values["kubernetes.container.image"] == "flink:1.16-java11"
    assert values["kubernetes.jobmanager.cpu"] == 1 and values["kubernetes.taskmanager.cpu"] == 1
    assert not any(key.endswith((".ref", ".amount")) for key in values)


def test_the_application_reaches_flinks_keys() -> None:
    spec = native_application(
        args=["--topic", "a;b"],
        savepoint="s3://b/sp",
        allowNonRestoredState=True,
        jobId="0" * 31 + "1",
        parallelism=6,
    )
    values = render_config(spec).values
    assert values["pipeline.jars"] == "local:///opt/flink/jobs/orders.jar"
    assert values["$internal.application.main"] == "com.example.Orders"
    assert values["$internal.application.program-args"] == ("--topic", "a;b")
    assert values["$internal.pipeline.job-id"] == "0" * 31 + "1"
    assert values["execution.state-recovery.path"] == "s3://b/sp"
    assert values["execution.state-recovery.ignore-unclaimed-state"] is True
    assert values["parallelism.default"] == 6
    older = render_config(
        make_spec(
            flinkVersion="1.18", native=True, mode="application", job={"jar": JAR, "savepoint": "s3://b/sp"}
        )
    ).values
    assert older["execution.savepoint.path"] == "s3://b/sp"
    assert older["execution.savepoint.ignore-unclaimed-state"] is False


def test_a_native_application_jar_may_live_anywhere_in_the_image_or_be_fetched() -> None:
    objects = objects_by_kind_name(render_specs(native_application()))
    assert "initContainers" not in pod(objects[("Deployment", "analytics")])
    fetched = objects_by_kind_name(render_specs(native_application(jar="https://x.example.com/o.jar")))
    (fetch,) = pod(fetched[("Deployment", "analytics")])["initContainers"]
    assert fetch["command"][-2:] == ["/opt/flink/usrlib/o.jar", "https://x.example.com/o.jar"]
    # TaskManagers get the jar from the JobManager's blob server: no fetch in their template.
    template = fetched[("ConfigMap", "pod-template-analytics")]["data"]["taskmanager-pod-template.yaml"]
    assert "initContainers" not in yaml.safe_load(template)["spec"]


def test_flink_list_syntax_and_yaml_12_scalars() -> None:
    values = {"args": ("plain", "a;b", "it's", 'say "hi"'), "id": "1e5", "hex": "0x1F", "text": "1728m"}
    assert render_flink_conf_yaml(values).splitlines()[0] == "args: plain;'a;b';'it''s';'say \"hi\"'"
    text = render_config_yaml(values)
    assert "id: '1e5'" in text and "hex: '0x1F'" in text and "text: 1728m" in text
    assert yaml.safe_load(text)["args"] == ["plain", "a;b", "it's", 'say "hi"']


def test_switching_to_native_replaces_the_jobmanager() -> None:
    standalone, native_render = render_specs(make_spec()), render_specs(native())
    (before,) = [r for r in standalone.kubernetes_resources() if r.name == "analytics-jobmanager-deployment"]
    (after,) = [
        r for r in native_render.kubernetes_resources() if r.name == "analytics-jobmanager-deployment"
    ]
    assert before.urn == after.urn  # the same Pulumi resource...
    assert before.inputs["metadata"]["name"] != after.inputs["metadata"]["name"]  # ...renamed: replaced
    annotation = after.inputs["metadata"]["annotations"][DEPLOYMENT_MODE_ANNOTATION]
    assert (before.inputs["metadata"]["annotations"][DEPLOYMENT_MODE_ANNOTATION], annotation) == (
        "standalone session",
        "native session",
    )
    # Session -> application on native keeps every name, and still replaces the JobManager.
    (app,) = [
        r
        for r in render_specs(native_application()).kubernetes_resources()
        if r.name == "analytics-jobmanager-deployment"
    ]
    assert app.inputs["metadata"]["name"] == after.inputs["metadata"]["name"]
    assert app.inputs["metadata"]["annotations"][DEPLOYMENT_MODE_ANNOTATION] == "native application"
    assert app.replace_on_changes == after.replace_on_changes != ()


@pytest.mark.parametrize(
    ("data", "path", "words"),
    [
        ({"taskManager": {"replicas": 3}}, "taskManager.replicas", "as many as its jobs need"),
        ({"labels": {"app": "x"}}, "labels.app", "example.com/app"),
        (
            {"pod": {"volumes": [{"name": "pod-template-volume", "emptyDir": {}}]}},
            "pod.volumes[0].name",
            "library's own volume",
        ),
        (
            {
                "pod": {
                    "volumes": [{"name": "t", "emptyDir": {}}],
                    "volumeMounts": [{"name": "t", "mountPath": "/opt/flink/pod-template"}],
                }
            },
            "pod.volumeMounts[0].mountPath",
            "pod template",
        ),
        (
            {"flinkConfiguration": {"kubernetes.cluster-id": "other"}},
            "flinkConfiguration.kubernetes.cluster-id",
            "the library sets it",
        ),
        (
            {"flinkConfiguration": {"kubernetes.container.image.ref": "x"}},
            "flinkConfiguration.kubernetes.container.image.ref",
            "set image",
        ),
    ],
)
def test_native_rules_name_the_field_and_the_fix(data: dict[str, Any], path: str, words: str) -> None:
    with pytest.raises(FlinkSpecError) as info:
        render_specs(native(**data))
    assert info.value.paths == [path]
    assert words in str(info.value)


def test_labels_flink_sets_are_fine_in_standalone_mode() -> None:
    assert render_specs(make_spec(labels={"app": "x"})).kubernetes_objects()


def test_native_clusters_do_not_warn_about_slots() -> None:
    assert cluster_warnings(native(parallelism=8)) == []
    assert cluster_warnings(make_spec(parallelism=8))


K8S_HA = {"type": "kubernetes", "storageDir": "hdfs://namenode:8020/flink"}
CONFIGMAP_RULE = {
    "apiGroups": [""],
    "resources": ["configmaps"],
    "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"],
}


@pytest.mark.parametrize("is_native", [False, True], ids=["standalone", "native"])
def test_kubernetes_ha_adds_configmaps_and_every_flink_pod_gets_a_token(is_native: bool) -> None:
    spec = make_spec(native=is_native, highAvailability=K8S_HA)
    objects = objects_by_kind_name(render_specs(spec))
    rules = objects[("Role", "analytics-flink")]["rules"]
    assert rules[-1] == CONFIGMAP_RULE
    assert len(rules) == (4 if is_native else 1)  # native: pods, deployments, finalizers, configmaps
    jobmanager = objects[("Deployment", spec.names.jobmanager)]
    assert pod(jobmanager)["automountServiceAccountToken"] is True
    if is_native:
        text = objects[("ConfigMap", "pod-template-analytics")]["data"]["taskmanager-pod-template.yaml"]
        assert yaml.safe_load(text)["spec"]["automountServiceAccountToken"] is True
    else:
        assert pod(objects[("Deployment", "analytics-taskmanager")])["automountServiceAccountToken"] is True


def test_zookeeper_ha_needs_no_kubernetes_api() -> None:
    spec = make_spec(
        highAvailability={"type": "zookeeper", "storageDir": "hdfs://namenode:8020/flink",
                          "zookeeper": {"existingQuorum": "zk:2181"}}
    )
    objects = objects_by_kind_name(render_specs(spec))
    assert ("Role", "analytics-flink") not in objects
