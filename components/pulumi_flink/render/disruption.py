"""PodDisruptionBudgets, as plain Kubernetes dicts: how many Flink pods a voluntary
disruption (a node drain, the cluster autoscaler removing a node, an eviction) may take at once.

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

The library's HA stores get one each too (``resources.ha``): one server at a time, so a
majority of an odd ensemble of 3 or more always stays up. Theirs keep Kubernetes' default
eviction of unhealthy pods.
"""

from __future__ import annotations

from typing import Any

from pulumi_flink.model.naming import selector_labels
from pulumi_flink.spec import FlinkClusterSpec


def disruption_budget_spec(
    spec: FlinkClusterSpec, component: str, *, evict_unhealthy: bool
) -> dict[str, Any]:
    """One pod of ``component`` at a time. ``evict_unhealthy``: a pod that is not ready may
    always be evicted (the Flink pods' budgets)."""
    budget: dict[str, Any] = {
        "maxUnavailable": 1, "selector": {"matchLabels": selector_labels(spec.name, component)}
    }
    if evict_unhealthy:
        budget["unhealthyPodEvictionPolicy"] = "AlwaysAllow"
    return budget
