"""The REST client's reading of Flink's answers, against a loopback server that answers as a
JobManager does: 404 for a job its dispatcher does not know yet, 503 while electing."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.support.flink_rest import FlinkRest, NotFound, RestError

JOB = "0c9ee1e6aa1c9ed242b4e90ea7d35ea7"
Answers = tuple[FlinkRest, list[tuple[int, object]]]


@pytest.fixture
def answers() -> Iterator[Answers]:
    """A client and the queue of (status, body) its server answers with, in order."""
    queue: list[tuple[int, object]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body = queue.pop(0)
            content = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield FlinkRest(f"http://127.0.0.1:{server.server_address[1]}"), queue
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def job(state: str, *vertices: str) -> dict[str, object]:
    return {"jid": JOB, "state": state, "vertices": [{"status": v} for v in vertices]}


def test_a_job_the_dispatcher_does_not_know_yet_is_not_running(answers: Answers) -> None:
    rest, queue = answers
    queue.append((404, {"errors": [f"Job {JOB} not found"]}))
    assert rest.running(JOB) is None


def test_other_calls_report_a_404(answers: Answers) -> None:
    rest, queue = answers
    queue.append((404, {"errors": ["Not found: /jarz"]}))
    with pytest.raises(NotFound, match="HTTP 404"):
        rest.call("GET", "/jarz")


def test_running_means_the_job_and_every_vertex(answers: Answers) -> None:
    rest, queue = answers
    queue += [(200, job("RUNNING", "RUNNING", "INITIALIZING")), (200, job("RUNNING", "RUNNING", "RUNNING"))]
    assert rest.running(JOB) is None
    assert rest.running(JOB) == job("RUNNING", "RUNNING", "RUNNING")


def test_a_job_that_ended_is_an_error(answers: Answers) -> None:
    rest, queue = answers
    queue.append((200, job("FAILED", "FAILED")))
    with pytest.raises(RestError, match=f"job {JOB} is FAILED"):
        rest.running(JOB)


def test_a_wait_tries_again_through_404_and_503(answers: Answers) -> None:
    rest, queue = answers
    queue += [(503, {"errors": ["electing"]}), (404, {"errors": ["not yet"]}),
              (200, job("RUNNING", "RUNNING"))]
    assert rest.wait("the job running", lambda: rest.running(JOB), 10)["state"] == "RUNNING"
    assert not queue


def test_the_latest_checkpoint_is_read_by_kind(answers: Answers) -> None:
    rest, queue = answers
    body = {"latest": {"completed": {"id": 7, "status": "COMPLETED"}, "restored": None}}
    queue += [(200, body), (200, body)]
    assert rest.latest_checkpoint(JOB) == 7
    assert rest.latest_checkpoint(JOB, "restored") is None
