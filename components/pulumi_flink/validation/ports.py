"""Ports and the REST endpoint."""

from __future__ import annotations

from pulumi_flink.model.layout import BLOB_PORT_NAME, DATA_PORT_NAME, REST_PORT_NAME, RPC_PORT_NAME
from pulumi_flink.spec import FlinkClusterSpec
from pulumi_flink.spec.errors import Problem

# Port name -> the ``ports`` field that sets it.
JOBMANAGER_PORT_FIELDS = {RPC_PORT_NAME: "rpc", BLOB_PORT_NAME: "blob", REST_PORT_NAME: "rest"}
TASKMANAGER_PORT_FIELDS = {RPC_PORT_NAME: "taskManagerRpc", DATA_PORT_NAME: "taskManagerData"}


def check_ports(spec: FlinkClusterSpec) -> list[Problem]:
    problems = []
    for role, ports, field_names in (
        ("JobManager", spec.ports.jobmanager_ports, JOBMANAGER_PORT_FIELDS),
        ("TaskManager", spec.ports.taskmanager_ports, TASKMANAGER_PORT_FIELDS),
    ):
        seen: dict[int, str] = {}
        for purpose, port in ports.items():
            if port in seen:
                problems.append(
                    Problem(
                        f"ports.{field_names[purpose]}",
                        f"the {role} would listen on {port} twice ({seen[port]} and {purpose}).",
                        "give each port its own number",
                    )
                )
            seen[port] = purpose
    return problems


def check_rest(spec: FlinkClusterSpec) -> list[Problem]:
    if spec.rest.node_port is not None and spec.rest.exposure != "NodePort":
        return [
            Problem(
                "rest.nodePort",
                f"a node port needs exposure NodePort, not {spec.rest.exposure}.",
                "set rest.exposure: NodePort, or remove rest.nodePort",
            )
        ]
    return []
