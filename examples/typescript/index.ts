// A Flink session cluster from TypeScript, through the pulumi-flink component package.
// `pulumi package add <path-or-git-url>/package` generates the SDK this imports; see
// docs/package.md. Every spec field is a plain value; only haCredentials values may be
// secrets or outputs.
import * as pulumi from "@pulumi/pulumi";
import * as flink from "@pulumi/flink";

const config = new pulumi.Config();

const cluster = new flink.FlinkCluster("orders", {
    name: "orders",
    flinkVersion: "1.20.3",
    namespace: "streaming",
    taskManager: { replicas: 3, slots: 2, memory: "4Gi" },
    parallelism: 6,
    flinkConfiguration: { "execution.checkpointing.interval": "30 s" },
    highAvailability: {
        type: flink.HighAvailabilityType.Kubernetes,
        storageDir: "s3://flink-state/orders",
    },
    haCredentials: {
        AWS_ACCESS_KEY_ID: config.require("awsAccessKeyId"),
        AWS_SECRET_ACCESS_KEY: config.requireSecret("awsSecretAccessKey"),
    },
});

export const restEndpoint = cluster.restEndpoint;
export const haClusterIds = cluster.haClusterIds;
