"""FlinkCluster as one part of a larger program.

- its own Kubernetes provider (a kubeconfig from this program's config, as a secret);
- a namespace that already exists, read rather than created, so the Flink objects wait for it;
- a ZooKeeper quorum that already runs elsewhere, instead of an ensemble of the library's;
- the cluster's outputs handed on: the REST endpoint goes into the ConfigMap of a dashboard
  that talks to Flink, and out as a stack output.

Run it like any Pulumi program (`pulumi up` in this folder); tests/unit/test_composition.py
runs it in-process under mocks.
"""

import pulumi
import pulumi_kubernetes as k8s

from pulumi_flink import FlinkCluster, FlinkClusterArgs, HighAvailabilityType, Mode

NAMESPACE = "streaming"
EXISTING_QUORUM = "zk-0.zk.infra.svc:2181,zk-1.zk.infra.svc:2181,zk-2.zk.infra.svc:2181"

config = pulumi.Config()
provider = k8s.Provider("eu-west", kubeconfig=config.require_secret("kubeconfig"))
on_cluster = pulumi.ResourceOptions(provider=provider)

# Read, not created: the preview fails if the namespace is missing, and Flink waits for it.
namespace = k8s.core.v1.Namespace.get("streaming", NAMESPACE, opts=on_cluster)

clickstream = FlinkCluster(
    "clickstream",
    FlinkClusterArgs(
        name="clickstream",
        flink_version="1.20.3",
        namespace=NAMESPACE,
        mode=Mode.Application,
        job={"jar": "https://repo.example.com/jobs/clickstream-2.0.1.jar", "parallelism": 4},
        task_manager={"replicas": 2, "slots": 2},
        high_availability={
            "type": HighAvailabilityType.Zookeeper,
            "storage_dir": "s3://example-streaming/clickstream",
            "credentials_secret": "streaming-s3",
            "zookeeper": {"existing_quorum": EXISTING_QUORUM},
        },
    ),
    opts=pulumi.ResourceOptions(provider=provider, depends_on=[namespace]),
)

# An output used elsewhere: the dashboard finds Flink's REST API through this ConfigMap.
k8s.core.v1.ConfigMap(
    "dashboard-settings",
    metadata={"name": "dashboard-settings", "namespace": NAMESPACE},
    data={"FLINK_REST_URL": clickstream.rest_endpoint},
    opts=on_cluster,
)

pulumi.export("flinkRestEndpoint", clickstream.rest_endpoint)
pulumi.export("haClusterIds", clickstream.ha_cluster_ids)
