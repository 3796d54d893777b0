"""Health and disruption: probes, the job check, spreading, disruption budgets."""

from __future__ import annotations

from pulumi_flink.render.flink_config import flink_boolean, rest_ssl_enabled
from pulumi_flink.spec import FlinkClusterSpec
from pulumi_flink.spec.errors import Problem

PROBE_FIELD_NAMES = {
    "startup_timeout_seconds": "startupTimeoutSeconds",
    "job_check_grace_seconds": "jobCheckGraceSeconds",
}


def _rest_client_auth(spec: FlinkClusterSpec) -> bool:
    return rest_ssl_enabled(spec) and flink_boolean(
        spec.flink_configuration.get("security.ssl.rest.authentication-enabled")
    )


def check_probes(spec: FlinkClusterSpec) -> list[Problem]:
    probes = spec.probes
    problems: list[Problem] = []
    if not probes.enabled:
        unused = [PROBE_FIELD_NAMES[f] for f in PROBE_FIELD_NAMES if f in probes.model_fields_set]
        unused += ["jobCheck"] if probes.job_check else []
        return [
            Problem(f"probes.{name}", "probes are off (probes.enabled: false).",
                    "remove this field, or turn probes on")
            for name in unused
        ]
    if _rest_client_auth(spec):
        problems.append(
            Problem(
                "probes.enabled",
                "the REST endpoint requires client certificates "
                "(security.ssl.rest.authentication-enabled), which the kubelet's HTTP probes cannot present.",
                "set probes.enabled: false, or turn off REST client authentication",
            )
        )
    if probes.job_check and spec.mode != "application":
        problems.append(
            Problem(
                "probes.jobCheck",
                f"a {spec.mode} cluster runs no job of its own for the JobManager's liveness to check.",
                "remove probes.jobCheck, or use mode: application",
            )
        )
    if probes.job_check and rest_ssl_enabled(spec):
        problems.append(
            Problem(
                "probes.jobCheck",
                "the job check asks the REST API in plain HTTP (from bash), and the REST endpoint has "
                "SSL (security.ssl.rest.enabled).",
                "remove probes.jobCheck, or turn off REST SSL",
            )
        )
    if "job_check_grace_seconds" in probes.model_fields_set and not probes.job_check:
        problems.append(
            Problem(
                "probes.jobCheckGraceSeconds",
                "the job check is off.",
                "set probes.jobCheck: true, or remove this field",
            )
        )
    return problems


def check_spread(spec: FlinkClusterSpec) -> list[Problem]:
    if spec.spread.required and spec.spread_topology == "none":
        why = "high availability is off" if spec.spread.topology == "auto" else "topology is none"
        return [
            Problem(
                "spread.required",
                f"there is no spreading to require: spread.topology is {spec.spread.topology} and {why}.",
                "set spread.topology: node or zone, or remove spread.required",
            )
        ]
    return []


def health_warnings(spec: FlinkClusterSpec) -> list[str]:
    if spec.probes.enabled and spec.probes.job_check and not spec.high_availability.enabled:
        return [
            f"{spec.name}: probes.jobCheck restarts the JobManager without high availability, so "
            "the job starts again from job.savepoint (or empty state), not from its latest checkpoint"
        ]
    return []


def disruption_budgets(spec: FlinkClusterSpec) -> list[tuple[str, str]]:
    """(component, PodDisruptionBudget name) of the budgets one session or application
    cluster gets (see ``disruption``): the JobManagers' when a standby runs in a Deployment,
    and the standalone TaskManager Deployment's. None for native TaskManagers: Flink makes its
    JobManager Deployment their controller, so Kubernetes would count a ``maxUnavailable``
    against the JobManager's replicas, and a ``minAvailable`` would need the number of
    TaskManagers Flink decides at run time."""
    names = spec.names
    budgets = []
    if spec.jobmanager_workload == "Deployment" and spec.job_manager.replicas > 1:
        budgets.append(("jobmanager", names.jobmanager_disruption_budget))
    if not spec.native:
        budgets.append(("taskmanager", names.taskmanager_disruption_budget))
    return budgets
