"""The pulumi-flink component package's plugin: serves ``FlinkCluster`` to Pulumi programs in
any language. Pulumi starts it (``PulumiPlugin.yaml``); importing it starts nothing."""

import pulumi
from pulumi.provider.experimental import component_provider_host

import pulumi_flink
from pulumi_flink import FlinkCluster
from pulumi_flink.resources.meta import TYPE_PREFIX

# Type tokens are "<package>:<module>:<Type>"; the package name is TYPE_PREFIX's first part.
PACKAGE_NAME, MODULE = TYPE_PREFIX.split(":")
COMPONENTS: list[type[pulumi.ComponentResource]] = [FlinkCluster]

if __name__ == "__main__":
    component_provider_host(COMPONENTS, name=PACKAGE_NAME, version=pulumi_flink.__version__)
