"""``FlinkDisruptionBudgets``: how many Flink pods a voluntary disruption (a node drain, the
cluster autoscaler removing a node, an eviction) may take at once.

- JobManagers, when a standby runs (``jobManager.replicas`` > 1, which needs high
  availability) in a Deployment: ``maxUnavailable: 1``, so a drain never takes the leader
  and its standby together; the standby takes over, and the evicted pod comes back as the
  new standby before the next one may go.
- TaskManagers of a standalone cluster (their Deployment): ``maxUnavailable: 1``. A lost
  TaskManager fails the tasks it ran, and the job restarts from its latest checkpoint on
  the slots that are left (or waits for the replacement pod); one at a time bounds the slots
  lost at once to one TaskManager's, instead of a drain taking every TaskManager on a node
  pool together.
- Native TaskManagers get none: Flink creates them itself and makes its JobManager
  Deployment their controller (``ownerReferences[].controller: true``), and Kubernetes
  counts the pods a ``maxUnavailable`` budget expects from the controller's scale, here
  the JobManager's replicas: it would allow evicting every TaskManager at once. A
  ``minAvailable`` count would need the number of TaskManagers Flink decides at run time.
  Flink replaces an evicted native TaskManager by itself.

Both budgets set ``unhealthyPodEvictionPolicy: AlwaysAllow``: a pod that is not Ready
(crash-looping, never started) serves nobody, so evicting it never costs availability, and
a drain must not wait for it (Kubernetes 1.27+).

Selectors are the workloads' own selector labels (name, instance, component), so a budget
counts exactly its cluster's pods of its component, never another cluster's.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from pulumi_flink.resources.ha import disruption_budget_spec as store_budget_spec
from pulumi_flink.resources.meta import TYPE_PREFIX, ensure_valid, object_metadata, wire
from pulumi_flink.spec import FlinkClusterSpec
from pulumi_flink.validation import disruption_budgets


def disruption_budget_spec(spec: FlinkClusterSpec, component: str) -> dict[str, Any]:
    """One pod at a time, as the stores' budgets (``ha.disruption_budget_spec``); a Flink pod
    that is not ready may always be evicted."""
    return {**store_budget_spec(spec, component), "unhealthyPodEvictionPolicy": "AlwaysAllow"}


class FlinkDisruptionBudgets(pulumi.ComponentResource):
    """The PodDisruptionBudgets of one Flink cluster (see the module docstring); none when
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
                spec=wire(disruption_budget_spec(spec, component)),
                opts=child,
            )
            for component, object_name in disruption_budgets(spec)
        }
        self.register_outputs({"budgetNames": {c: b.metadata.name for c, b in self.budgets.items()}})
