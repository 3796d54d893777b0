"""The Flink pods' API access, as plain Kubernetes dicts: the Role's rules by mode, and the
RoleBinding's role and subject."""

from __future__ import annotations

from typing import Any

from pulumi_flink.spec import FlinkClusterSpec

PolicyRule = dict[str, Any]


def role_rules(spec: FlinkClusterSpec) -> list[PolicyRule]:
    """Exactly the API calls Flink's processes make, by mode (read from Flink's
    Fabric8FlinkKubeClient and KubernetesResourceManagerDriver, 1.20 and 2.3).

    Standalone: none. Native: the JobManager lists and watches its TaskManager pods (on
    start, to recover them), creates and deletes them; gets its own Deployment (the
    TaskManager pods' owner reference) and deletes it (Flink tears the cluster down when an
    application ends or a session is stopped); updates that Deployment's finalizers (the
    owner reference blocks deletion, which clusters with OwnerReferencesPermissionEnforcement
    check). Pods cannot be narrowed by name (Flink names them at runtime); the Deployment can.

    Kubernetes HA, in either mode: leader election and the HA metadata in ConfigMaps, by
    JobManagers and TaskManagers alike (create, get, update, delete by name; list and watch
    through a shared informer; patch, with which the leader elector takes over a lease that
    another JobManager held: without it a standby never leads, as the test control plane
    showed). Their names are Flink's to choose, so they cannot be narrowed.
    """
    rules: list[PolicyRule] = []
    if spec.native:
        own_deployment = [spec.names.jobmanager]
        rules += [
            {"apiGroups": [""], "resources": ["pods"], "verbs": ["create", "delete", "list", "watch"]},
            {"apiGroups": ["apps"], "resources": ["deployments"], "resourceNames": own_deployment,
             "verbs": ["delete", "get"]},
            {"apiGroups": ["apps"], "resources": ["deployments/finalizers"], "resourceNames": own_deployment,
             "verbs": ["update"]},
        ]
    if spec.high_availability.type == "kubernetes":
        rules.append(
            {"apiGroups": [""], "resources": ["configmaps"],
             "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"]}
        )
    return rules


def role_ref(spec: FlinkClusterSpec) -> dict[str, str]:
    return {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": spec.names.role}


def role_subjects(spec: FlinkClusterSpec) -> list[dict[str, str]]:
    """The pods' ServiceAccount: the library's, or ``pod.serviceAccountName``."""
    return [{"kind": "ServiceAccount", "name": spec.service_account_name, "namespace": spec.namespace}]
