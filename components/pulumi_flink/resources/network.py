"""``FlinkNetworkPolicies``: the NetworkPolicies of one cluster, or of a per-job cluster's
shared store (what each admits: ``render.network``)."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from pulumi_flink.render.metadata import object_metadata
from pulumi_flink.render.network import NETWORK_COMPONENT, network_policies
from pulumi_flink.resources.meta import TYPE_PREFIX, ensure_valid, wire
from pulumi_flink.spec import FlinkClusterSpec


class FlinkNetworkPolicies(pulumi.ComponentResource):
    """The NetworkPolicies of one cluster, or of a per-job cluster's shared store (see
    ``render.network``). ``submitter``: the cluster is a per-job job cluster, whose client pod
    may reach its JobManager."""

    policies: dict[str, k8s.networking.v1.NetworkPolicy]
    """Component ('jobmanager', 'taskmanager', 'submitter', 'zookeeper', 'etcd', 'zetcd') -> its policy."""

    def __init__(
        self,
        name: str,
        spec: FlinkClusterSpec,
        submitter: bool = False,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        ensure_valid(spec)
        super().__init__(f"{TYPE_PREFIX}:FlinkNetworkPolicies", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.policies = {
            component: k8s.networking.v1.NetworkPolicy(
                f"{name}-{component}",
                metadata=wire(object_metadata(spec, spec.names.network_policy(component), NETWORK_COMPONENT)),
                spec=wire(body),
                opts=child,
            )
            for component, body in network_policies(spec, submitter).items()
        }
        self.register_outputs({"policyNames": sorted(spec.names.network_policy(c) for c in self.policies)})
