"""``FlinkRbac``: the Flink pods' identity, a ServiceAccount, and a Role only when something
needs one (its rules: ``render.rbac``)."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_kubernetes as k8s

from pulumi_flink.render.metadata import object_metadata
from pulumi_flink.render.rbac import PolicyRule, role_ref, role_rules, role_subjects
from pulumi_flink.resources.meta import TYPE_PREFIX, ensure_valid, wire
from pulumi_flink.spec import FlinkClusterSpec


class FlinkRbac(pulumi.ComponentResource):
    """ServiceAccount for the Flink pods, plus a namespaced Role and RoleBinding for ``rules``
    (default: ``role_rules(spec)``, what Flink needs in the spec's mode).

    - ``pod.serviceAccountName`` set: that existing account is used and none is created.
    - The account never mounts a token by itself; ``automount_token`` says whether the
      JobManager pods should (only when there are rules), ``taskmanager_token`` whether the
      TaskManager pods should (only with Kubernetes HA).
    - ``rules`` empty (a standalone cluster without Kubernetes HA): no Role, and no pod
      carries an API token at all.
    """

    service_account: k8s.core.v1.ServiceAccount | None
    role: k8s.rbac.v1.Role | None
    role_binding: k8s.rbac.v1.RoleBinding | None
    service_account_name: str
    automount_token: bool
    taskmanager_token: bool

    def __init__(
        self,
        name: str,
        spec: FlinkClusterSpec,
        rules: Sequence[PolicyRule] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        ensure_valid(spec)
        rules = role_rules(spec) if rules is None else rules
        names = spec.names
        super().__init__(f"{TYPE_PREFIX}:FlinkRbac", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.automount_token = bool(rules)
        self.taskmanager_token = spec.high_availability.type == "kubernetes"
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
                role_ref=wire(role_ref(spec)),
                subjects=wire(role_subjects(spec)),
                opts=child,
            )
        self.register_outputs({"serviceAccountName": self.service_account_name})

    @property
    def pod_needs(self) -> list[pulumi.Resource]:
        """What must exist before a pod using this identity can start."""
        return [r for r in (self.service_account, self.role, self.role_binding) if r is not None]
