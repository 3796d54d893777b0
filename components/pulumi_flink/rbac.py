"""The Flink pods' identity: a ServiceAccount, and a Role only when something needs one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from .meta import TYPE_PREFIX, ensure_valid, object_metadata, wire
from .spec import FlinkClusterSpec

PolicyRule = dict[str, Any]


class FlinkRbac(pulumi.ComponentResource):
    """ServiceAccount for the Flink pods, plus a namespaced Role and RoleBinding for ``rules``.

    - ``pod.serviceAccountName`` set: that existing account is used and none is created.
    - ``rules`` empty (a standalone cluster without Kubernetes HA): no Role, and
      ``automount_token`` is False so the pods carry no API token at all.
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
        rules: Sequence[PolicyRule] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        ensure_valid(spec)
        names = spec.names
        super().__init__(f"{TYPE_PREFIX}:FlinkRbac", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.automount_token = bool(rules)
        self.service_account_name = spec.pod.service_account_name or names.service_account
        self.service_account = None
        if spec.pod.service_account_name is None:
            self.service_account = k8s.core.v1.ServiceAccount(
                f"{name}-service-account",
                metadata=wire(object_metadata(spec, names.service_account, "rbac")),
                automount_service_account_token=self.automount_token,
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
