"""The Flink configuration as a ConfigMap mounted at /opt/flink/conf."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from pulumi_flink.render.flink_config import RenderedConfig, render_config
from pulumi_flink.render.metadata import object_metadata
from pulumi_flink.resources.meta import TYPE_PREFIX, ensure_valid, wire
from pulumi_flink.spec import FlinkClusterSpec


class FlinkConfiguration(pulumi.ComponentResource):
    """A ConfigMap with the rendered Flink config file and the console log4j config.

    ``rendered`` holds the same text as plain Python values, and
    ``rendered.checksum`` goes on pod templates so that a config change rolls
    the pods. ``ha_cluster_id``: the HA cluster id of this incarnation (an Output of
    ``FlinkHighAvailability``), which the configuration carries.
    """

    rendered: pulumi.Output[RenderedConfig]
    config_map: k8s.core.v1.ConfigMap
    config_map_name: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        spec: FlinkClusterSpec,
        ha_cluster_id: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        ensure_valid(spec)
        super().__init__(f"{TYPE_PREFIX}:FlinkConfiguration", name, None, opts)
        self.rendered = pulumi.Output.from_input(ha_cluster_id).apply(
            lambda cluster_id: render_config(spec, cluster_id)
        )
        self.config_map = k8s.core.v1.ConfigMap(
            f"{name}-config",
            metadata=wire(object_metadata(spec, spec.names.config_map, "configuration")),
            data=self.rendered.apply(lambda rendered: dict(rendered.files)),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.config_map_name = self.config_map.metadata.name
        self.register_outputs({"configMapName": self.config_map_name})
