"""The Flink pods' identity: a ServiceAccount, and a Role only when something needs one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from .meta import TYPE_PREFIX, ensure_valid, object_metadata, wire
from .spec import FlinkClusterSpec

PolicyRule = dict[str, Any]


def jobmanager_rules(spec: FlinkClusterSpec) -> list[PolicyRule]:
    """Exactly the API calls Flink's JobManager makes, by mode (read from Flink's
    Fabric8FlinkKubeClient and KubernetesResourceManagerDriver, 1.20 and 2.3).

    Standalone: none. Native: list and watch its TaskManager pods (on start, to recover
    them), create and delete them; get its own Deployment (the TaskManager pods' owner
    reference) and delete it (Flink tears the cluster down when an application ends or a
    session is stopped); update that Deployment's finalizers (the owner reference blocks
    deletion, which clusters with OwnerReferencesPermissionEnforcement check). Pods cannot
    be narrowed by name (Flink names them at runtime); the Deployment can.
    """
    if not spec.native:
        return []
    own_deployment = [spec.names.jobmanager]
    return [
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["create", "delete", "list", "watch"]},
        {"apiGroups": ["apps"], "resources": ["deployments"], "resourceNames": own_deployment,
         "verbs": ["delete", "get"]},
        {"apiGroups": ["apps"], "resources": ["deployments/finalizers"], "resourceNames": own_deployment,
         "verbs": ["update"]},
    ]


class FlinkRbac(pulumi.ComponentResource):
    """ServiceAccount for the Flink pods, plus a namespaced Role and RoleBinding for ``rules``
    (default: ``jobmanager_rules(spec)``, what the JobManager needs in the spec's mode).

    - ``pod.serviceAccountName`` set: that existing account is used and none is created.
    - The account never mounts a token by itself; ``automount_token`` says whether the
      JobManager pods should (only when there are rules).
    - ``rules`` empty (a standalone cluster without Kubernetes HA): no Role, and no pod
      carries an API token at all.
    """

    service_account: k8s.core.v1.ServiceAccount | None
    role: k8s.rbac.v1.Role | None
    role_binding: k8s.rbac.v1.RoleBinding | None
    service_account_name: str
    automount_token: bool

    def __init__(
        self,
        name: str,
        spec: FlinkClusterSpec,
        rules: Sequence[PolicyRule] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        ensure_valid(spec)
        rules = jobmanager_rules(spec) if rules is None else rules
        names = spec.names
        super().__init__(f"{TYPE_PREFIX}:FlinkRbac", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.automount_token = bool(rules)
        self.service_account_name = spec.service_account_name
        self.service_account = None
        if spec.pod.service_account_name is None:
            self.service_account = k8s.core.v1.ServiceAccount(
                f"{name}-service-account",
                metadata=wire(object_metadata(spec, names.service_account, "rbac")),
                automount_service_account_token=False,
                opts=child,
            )
        self.role = None
        self.role_binding = None
        if rules:
            self.role = k8s.rbac.v1.Role(
                f"{name}-role",
                metadata=wire(object_metadata(spec, names.role, "rbac")),
                rules=wire([dict(rule) for rule in rules]),
                opts=child,
            )
            self.role_binding = k8s.rbac.v1.RoleBinding(
                f"{name}-role-binding",
                metadata=wire(object_metadata(spec, names.role, "rbac")),
                role_ref=wire({"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": names.role}),
                subjects=wire(
                    [
                        {
                            "kind": "ServiceAccount",
                            "name": self.service_account_name,
                            "namespace": spec.namespace,
                        }
                    ]
                ),
                opts=child,
            )
        self.register_outputs({"serviceAccountName": self.service_account_name})

    @property
    def pod_needs(self) -> list[pulumi.Resource]:
        """What must exist before a pod using this identity can start."""
        return [r for r in (self.service_account, self.role, self.role_binding) if r is not None]
