"""Deployment modes and their jobs: what each mode needs and cannot have."""

from __future__ import annotations

from pulumi_flink.model.layout import USRLIB_DIR
from pulumi_flink.spec import MAX_CLUSTER_NAME, FlinkClusterSpec, JobSpec, jar_is_fetched
from pulumi_flink.spec.errors import Problem
from pulumi_flink.validation.memory import check_memory


def check_mode(spec: FlinkClusterSpec) -> list[Problem]:
    """What each deployment mode needs, and what it cannot have."""
    problems: list[Problem] = []
    if spec.mode == "per-job" and spec.native:
        problems.append(
            Problem(
                "native",
                "Flink has no native per-job mode on Kubernetes (it existed only on YARN, and "
                "Flink 2.0 removed per-job mode).",
                "use mode: application with native: true (a cluster per job, main() on the "
                "JobManager), or keep mode: per-job with native: false (a cluster per job, "
                "submitted by a client pod)",
            )
        )
    if spec.mode == "application" and spec.job is None:
        problems.append(
            Problem("job", "application mode runs one job, and none is given.", "add job with at least jar")
        )
    if spec.mode != "application" and spec.job is not None:
        fix = "list it under jobs" if spec.mode == "per-job" else "set mode: application to run it"
        message = f"a {spec.mode} cluster does not run a fixed job."
        problems.append(Problem("job", message, f"{fix}, or remove job"))
    if spec.mode == "per-job" and not spec.jobs:
        problems.append(
            Problem("jobs", "per-job mode needs at least one job.", "add jobs, each with a name and a jar")
        )
    if spec.mode != "per-job" and spec.jobs:
        problems.append(
            Problem(
                "jobs",
                f"jobs belongs to per-job mode, not {spec.mode}.",
                "set mode: per-job, or remove jobs (application mode takes one job under job)",
            )
        )
    standalone_application = spec.mode == "application" and not spec.native
    if spec.job_manager.workload is not None and not standalone_application:
        problems.append(
            Problem(
                "jobManager.workload",
                f"only a standalone application JobManager can run as a Kubernetes Job; a "
                f"{spec.deployment_mode} JobManager is always a Deployment.",
                "remove jobManager.workload",
            )
        )
    if spec.jobmanager_workload == "Job" and spec.job_manager.replicas > 1:
        problems.append(
            Problem(
                "jobManager.replicas",
                f"a JobManager run as a Kubernetes Job has one pod; {spec.job_manager.replicas} "
                "replicas would silently be 1.",
                "set jobManager.workload: Deployment for standby JobManagers, or use 1 replica",
            )
        )
    if spec.native and "replicas" in spec.task_manager.model_fields_set:
        problems.append(
            Problem(
                "taskManager.replicas",
                "a native cluster's JobManager creates TaskManager pods itself, as many as its jobs need.",
                "remove taskManager.replicas (size jobs with parallelism and taskManager.slots)",
            )
        )
    if spec.job is not None:
        problems += [p.prefixed("job") for p in _check_job(spec.job, needs_usrlib=standalone_application)]
    for index, job in enumerate(spec.jobs):
        path = f"jobs[{index}]"
        problems += [p.prefixed(path) for p in _check_job(job, needs_usrlib=False)]
        cluster_name = f"{spec.name}-{job.name}"
        if len(cluster_name) > MAX_CLUSTER_NAME:
            problems.append(
                Problem(
                    f"{path}.name",
                    f"the job's cluster would be named {cluster_name!r}, {len(cluster_name)} characters; "
                    f"at most {MAX_CLUSTER_NAME} fit every object name.",
                    f"shorten the job name or the cluster name to {MAX_CLUSTER_NAME} characters together",
                )
            )
        elif job.task_manager is not None:
            job_cluster = spec.job_cluster(job)
            problems += [
                Problem(f"{path}.taskManager.memory", p.message, p.fix)
                for p in check_memory(job_cluster)
                if p.path == "taskManager.memory"
            ]
    return problems


def _check_job(job: JobSpec, needs_usrlib: bool) -> list[Problem]:
    problems = []
    if job.allow_non_restored_state and job.savepoint is None:
        problems.append(
            Problem(
                "allowNonRestoredState",
                "there is no savepoint whose state could be skipped.",
                "set savepoint, or remove allowNonRestoredState",
            )
        )
    path = job.jar_in_pod
    if needs_usrlib and not jar_is_fetched(job.jar) and not path.startswith(USRLIB_DIR + "/"):
        problems.append(
            Problem(
                "jar",
                f"a standalone application cluster loads the job from {USRLIB_DIR}, not {path}: "
                "that is where the JobManager's standalone-job entrypoint and the TaskManagers look.",
                f"put the jar under {USRLIB_DIR}/ in the image, or give an http(s) URL to fetch it",
            )
        )
    return problems
