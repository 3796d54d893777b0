"""The jobs a cluster runs: the application job, per-job entries, and where their jars are."""

from __future__ import annotations

from pydantic import Field, field_validator

from pulumi_flink.model.layout import USRLIB_DIR
from pulumi_flink.model.text import check_no_control_characters, whole_string
from pulumi_flink.spec.base import (
    MAX_CLUSTER_NAME,
    MAX_PARALLELISM,
    SpecModel,
    _check_dns1035,
    _check_image,
    _check_lines,
    _fix,
)
from pulumi_flink.spec.resources import TaskManagerSpec

DEFAULT_JAR_FETCH_IMAGE = "curlimages/curl:8.11.1"
_JOB_ID = whole_string(r"[0-9a-f]{32}")
_JAVA_CLASS = whole_string(r"[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*")


def jar_is_fetched(jar: str) -> bool:
    """True when ``jar`` is a URL an init container downloads, not a path in the image."""
    return jar.startswith(("http://", "https://"))


def jar_path_in_pod(jar: str) -> str:
    """Where the jar is inside the Flink container: fetched jars land in the usrlib directory."""
    if jar_is_fetched(jar):
        return f"{USRLIB_DIR}/{jar.rstrip('/').rsplit('/', 1)[-1].split('?', 1)[0]}"
    return jar.removeprefix("local://")


class JobSpec(SpecModel):
    """The job of an application cluster, or one job of a per-job deployment.

    Only ``jar`` is required.
    """

    jar: str
    """The job's jar: a path in the image ('/opt/flink/usrlib/job.jar' or
    'local:///opt/flink/usrlib/job.jar'), or an http(s) URL that an init container downloads
    into ``/opt/flink/usrlib`` before Flink starts (an emptyDir there, which hides whatever
    the image has in that directory)."""
    entry_class: str | None = None
    """The class whose ``main()`` builds the job; unset uses the jar manifest's ``Main-Class``."""
    args: list[str] = []
    """Arguments passed to ``main()``."""
    parallelism: int | None = Field(default=None, ge=1, le=MAX_PARALLELISM)
    """The job's parallelism; unset uses the cluster's ``parallelism``. It becomes
    ``parallelism.default`` in application mode and ``flink run --parallelism`` in per-job mode."""
    savepoint: str | None = None
    """Start from this savepoint or retained checkpoint (a path, e.g. 's3://bucket/savepoints/sp-1');
    unset starts empty."""
    allow_non_restored_state: bool = False
    """With ``savepoint``: skip savepoint state that maps to no operator of the job, instead of failing."""
    job_id: str | None = None
    """A fixed job id (32 lowercase hex digits); per-job mode's client submits the job with it.
    Unset: Flink picks one, except that in application mode with high availability a fixed id
    is derived from the namespace and the cluster name, so a restarted JobManager recovers the
    job instead of starting a fresh one."""
    jar_fetch_image: str = DEFAULT_JAR_FETCH_IMAGE
    """Image of the init container that downloads a jar URL (it runs ``curl``)."""

    @field_validator("jar")
    @classmethod
    def _jar(cls, value: str) -> str:
        check_no_control_characters(value, "jar")
        if jar_is_fetched(value):
            file_name = jar_path_in_pod(value).rsplit("/", 1)[-1]
            if not file_name.endswith(".jar"):
                raise _fix(
                    f"the URL {value!r} does not end in a .jar file name.",
                    "give the URL of the jar file itself, e.g. 'https://repo.example.com/jobs/orders-1.4.jar'",
                )
            return value
        path = value.removeprefix("local://")
        if not path.startswith("/") or not path.endswith(".jar") or any(c.isspace() for c in path):
            raise _fix(
                f"{value!r} is neither an absolute path to a .jar in the image nor an http(s) URL.",
                f"write e.g. '{USRLIB_DIR}/job.jar' (in the image) or 'https://repo.example.com/job.jar'",
            )
        return value

    @field_validator("args")
    @classmethod
    def _args(cls, value: list[str]) -> list[str]:
        return _check_lines(value, "argument")

    @field_validator("entry_class")
    @classmethod
    def _entry_class(cls, value: str | None) -> str | None:
        if value is not None and not _JAVA_CLASS(value):
            raise _fix(
                f"{value!r} is not a Java class name.",
                "write the fully qualified name, e.g. 'com.example.Orders'",
            )
        return value

    @field_validator("job_id")
    @classmethod
    def _job_id(cls, value: str | None) -> str | None:
        if value is not None and not _JOB_ID(value):
            raise _fix(
                f"{value!r} is not a Flink job id.",
                "write 32 lowercase hex digits, e.g. '00000000000000000000000000000001', or remove it",
            )
        return value

    @field_validator("savepoint")
    @classmethod
    def _savepoint(cls, value: str | None) -> str | None:
        if value is not None:
            check_no_control_characters(value, "savepoint path")
        if value is not None and (not value or any(c.isspace() for c in value)):
            raise _fix(f"{value!r} is not a savepoint path.", "write e.g. 's3://bucket/savepoints/savepoint-1'")
        return value

    @field_validator("jar_fetch_image")
    @classmethod
    def _fetch_image(cls, value: str) -> str:
        return _check_image(value, DEFAULT_JAR_FETCH_IMAGE)

    @property
    def jar_in_pod(self) -> str:
        return jar_path_in_pod(self.jar)


class PerJobSpec(JobSpec):
    """One job of a per-job deployment: a name, the job, and optionally its own TaskManagers."""

    name: str
    """The job's name: its dedicated cluster is called ``<cluster name>-<job name>``, at most
    40 characters together."""
    task_manager: TaskManagerSpec | None = None
    """This job's TaskManagers; unset uses the cluster's ``taskManager``."""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _check_dns1035(value, "job name", MAX_CLUSTER_NAME)
