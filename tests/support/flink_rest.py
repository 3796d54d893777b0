"""Flink's REST API as a user drives it against a cluster on the test control plane: by the
REST Service's name, resolved by the cluster DNS, from the node (as ``kubectl port-forward``
reaches a pod), and the job calls the tests make (upload a jar, run it, wait for it)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from tests.support.toolchain import JOB_CLASS

TERMINAL_STATES = ("FAILED", "CANCELED", "FINISHED")


class RestError(AssertionError):
    pass


class Unavailable(RestError):
    """HTTP 503: Flink is electing a leader or recovering; a wait tries again."""


class NotFound(RestError):
    """HTTP 404: for a job, one the dispatcher does not know (yet)."""


@dataclass
class FlinkRest:
    """The REST API at ``base`` (``http://<ip>:<port>``); ``diagnostics`` explains a failure."""

    base: str
    diagnostics: Callable[[], str] = str

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        with requests.Session() as session:
            session.trust_env = False  # only the test network, never a proxy
            answer = session.request(method, self.base + path, timeout=10, **kwargs)
        if answer.status_code == 503:
            raise Unavailable(f"{method} {path}: HTTP 503: {answer.text[:400]}")
        if answer.status_code == 404:
            raise NotFound(f"{method} {path}: HTTP 404: {answer.text[:400]}")
        if answer.status_code >= 400:
            raise RestError(f"{method} {path}: HTTP {answer.status_code}: {answer.text[:4000]}")
        return answer.json() if answer.content else None

    def answers(self) -> bool:
        try:
            self.call("GET", "/config")
        except (requests.RequestException, RestError):
            return False
        return True

    def wait(self, what: str, probe: Callable[[], Any], timeout: float) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            try:
                value = probe()
            except (requests.RequestException, Unavailable):
                value = None
            if value:
                return value
            if time.monotonic() > deadline:
                raise RestError(f"{what}: not within {timeout:.0f}s\n{self.diagnostics()}")
            time.sleep(0.5)

    def run_jar(self, jar: Path, parallelism: int, args: list[str] | None = None) -> str:
        """Upload ``jar`` and run its job with ``parallelism``; the job id. (A jar run over
        REST without a parallelism runs with 1, not the cluster's default.)"""
        with jar.open("rb") as content:
            upload = self.call("POST", "/jars/upload",
                               files={"jarfile": (jar.name, content, "application/x-java-archive")})
        body: dict[str, Any] = {"entryClass": JOB_CLASS, "parallelism": parallelism}
        if args:
            body["programArgsList"] = args
        return str(self.call("POST", f"/jars/{Path(upload['filename']).name}/run", json=body)["jobid"])

    def running(self, job_id: str) -> dict[str, Any] | None:
        """The job once it and every vertex run; a job that ended is an error. A job not
        known yet is not running: an application cluster's leader answers on REST before its
        dispatcher has submitted (or recovered) the job."""
        try:
            job: dict[str, Any] = self.call("GET", f"/jobs/{job_id}")
        except NotFound:
            return None
        if job["state"] in TERMINAL_STATES:
            raise RestError(f"job {job_id} is {job['state']}\n{self.diagnostics()}")
        if job["state"] == "RUNNING" and all(v["status"] == "RUNNING" for v in job["vertices"]):
            return job
        return None

    def latest_checkpoint(self, job_id: str, which: str = "completed") -> int | None:
        """The id of the job's latest ``completed`` (or ``restored``) checkpoint, if any."""
        latest = self.call("GET", f"/jobs/{job_id}/checkpoints")["latest"][which]
        return int(latest["id"]) if latest else None

    def completed_checkpoints(self, job_id: str) -> int:
        return int(self.call("GET", f"/jobs/{job_id}/checkpoints")["counts"]["completed"])
