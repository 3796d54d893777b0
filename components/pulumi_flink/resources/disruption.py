"""``FlinkDisruptionBudgets``: the PodDisruptionBudgets of one Flink cluster's pods (which
ones: ``validation.disruption_budgets``; what they allow: ``render.disruption``)."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from pulumi_flink.render.disruption import disruption_budget_spec
from pulumi_flink.render.metadata import object_metadata
from pulumi_flink.resources.meta import TYPE_PREFIX, ensure_valid, wire
from pulumi_flink.spec import FlinkClusterSpec
from pulumi_flink.validation import disruption_budgets


class FlinkDisruptionBudgets(pulumi.ComponentResource):
    """The PodDisruptionBudgets of one Flink cluster (see ``render.disruption``); none when
    neither a standby JobManager nor standalone TaskManagers run."""

    budgets: dict[str, k8s.policy.v1.PodDisruptionBudget]
    """Component ('jobmanager', 'taskmanager') -> its budget."""

    def __init__(self, name: str, spec: FlinkClusterSpec, opts: pulumi.ResourceOptions | None = None) -> None:
        ensure_valid(spec)
        super().__init__(f"{TYPE_PREFIX}:FlinkDisruptionBudgets", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.budgets = {
            component: k8s.policy.v1.PodDisruptionBudget(
                f"{name}-{component}",
                metadata=wire(object_metadata(spec, object_name, component)),
                spec=wire(disruption_budget_spec(spec, component, evict_unhealthy=True)),
                opts=child,
            )
            for component, object_name in disruption_budgets(spec)
        }
        self.register_outputs({"budgetNames": {c: b.metadata.name for c, b in self.budgets.items()}})
