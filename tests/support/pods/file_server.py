"""A local server for the URLs init containers fetch."""

from __future__ import annotations

import http.server
import ssl
import subprocess
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.support.pods.errors import ClusterError

# --- a local server for the URLs init containers fetch ---------------------------------------

class FileServer:
    """Serves local files at the URLs a render names (all http or all https), on 127.0.0.1
    (or ``address`` and ``port``: a test host of the node network, for pods).

    An https server presents a certificate for the URLs' host names from a CA made for the
    test (``ca_file``). Every request is recorded with the client's address, so a test can
    tell which pod fetched what.
    """

    def __init__(self, files: Mapping[str, Path], root: Path, address: str = "127.0.0.1", port: int = 0):
        schemes = {urlsplit(url).scheme for url in files}
        assert len(schemes) == 1 and schemes <= {"http", "https"}, f"all http or all https: {sorted(files)}"
        self.scheme = schemes.pop()
        self.files = {self._key(url): Path(path) for url, path in files.items()}
        self.root = root
        self.address, self.bind_port = address, port
        self.requests: list[tuple[str, str, int]] = []
        """(url, client ip, status) of every request, in order."""
        self.ca_file: Path | None = None
        self._server: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @staticmethod
    def _key(url: str) -> tuple[str, int, str]:
        parts = urlsplit(url)
        assert parts.hostname, url
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return parts.hostname, port, parts.path

    @property
    def port(self) -> int:
        assert self._server is not None, "not started"
        return int(self._server.server_address[1])

    def serves(self, url: str) -> bool:
        host, port, _ = self._key(url)
        return urlsplit(url).scheme == self.scheme and any(k[:2] == (host, port) for k in self.files)

    def connect_to(self, url: str) -> str:
        """curl's ``--connect-to`` value that sends the URL's host:port here."""
        host, port, _ = self._key(url)
        return f"{host}:{port}:127.0.0.1:{self.port}"

    def fetched_by(self, ip: str) -> list[str]:
        return [url for url, client, status in self.requests if client == ip and status == 200]

    def start(self) -> FileServer:
        server = self
        files = self.files

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                host, _, port = (self.headers.get("Host") or "").partition(":")
                key = (host, int(port or (443 if server.scheme == "https" else 80)), self.path)
                path = files.get(key)
                url = f"{server.scheme}://{self.headers.get('Host')}{self.path}"
                server.requests.append((url, self.client_address[0], 200 if path else 404))
                if path is None:
                    self.send_error(404)
                    return
                body = path.read_bytes()
                self.send_response(200)
                self.send_header("Content-Type", "application/java-archive")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer((self.address, self.bind_port), Handler)
        if self.scheme == "https":
            self.root.mkdir(parents=True, exist_ok=True)
            hosts = sorted({host for host, _, _ in self.files})
            cert, key = self.root / "server.pem", self.root / "server.key"
            result = subprocess.run(
                ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                 "-keyout", str(key), "-out", str(cert), "-subj", f"/CN={hosts[0]}",
                 "-addext", "subjectAltName=" + ",".join(f"DNS:{h}" for h in hosts)],
                capture_output=True, text=True, check=False,
            )
            if result.returncode != 0:
                raise ClusterError(f"openssl could not make the test certificate:\n{result.stderr}")
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert, key)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
            self.ca_file = cert  # self-signed: the certificate is its own CA
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FileServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


