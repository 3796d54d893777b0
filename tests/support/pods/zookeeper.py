"""ZooKeeper for the pods of a ``zookeeper:`` image: Debian's server, its config rewrites, and a
minimal client to read what Flink keeps in it."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import struct
from dataclasses import dataclass
from pathlib import Path

from tests.support.pods.errors import ClusterError
from tests.support.pods.process import WILDCARDS, Pod, Rewrite

# --- ZooKeeper ---------------------------------------------------------------------------------

ZOOKEEPER_DEFAULT_HEAP_MB = "1000"
"""``ZK_SERVER_HEAP``'s default in ZooKeeper's ``bin/zkEnv.sh`` (the image's): ``-Xmx1000m``."""
DEBIAN_ZOOKEEPER_HINT = (
    "the ZooKeeper pods run Debian's ZooKeeper server: `apt-get install zookeeper` "
    "(scripts/setup-test.sh)")


@dataclass(frozen=True)
class ZooKeeperInstall:
    """The ZooKeeper server that runs a ``zookeeper:`` image's pods: Debian's ``zookeeper``
    package (``/usr/share/zookeeper/bin/zkServer.sh``, ``/usr/share/java/zookeeper.jar``,
    whose manifest names its libraries), with slf4j-simple from ``libslf4j-java`` for logs."""

    server_script: Path
    jar: Path
    logging_jar: Path
    version: str
    source: str = "Debian's zookeeper package"

    @property
    def classpath(self) -> str:
        return f"{self.jar}{os.pathsep}{self.logging_jar}"

    @classmethod
    def find(cls) -> ZooKeeperInstall:
        script = Path("/usr/share/zookeeper/bin/zkServer.sh")
        jar = Path("/usr/share/java/zookeeper.jar")
        logging_jar = Path("/usr/share/java/slf4j-simple.jar")
        versions = sorted(
            m[1] for j in jar.parent.glob("zookeeper-*.jar")
            if (m := re.fullmatch(r"zookeeper-(\d+\.\d+\.\d+)\.jar", j.name))
        )
        missing = [str(f) for f in (script, jar, logging_jar) if not f.is_file()]
        if missing or not versions:
            raise ClusterError(f"no ZooKeeper server ({', '.join(missing) or 'no versioned jar'}): "
                               f"{DEBIAN_ZOOKEEPER_HINT}")
        return cls(script, jar, logging_jar, versions[-1])


def zookeeper_config_rewrites(pod: Pod, name: str, text: str) -> tuple[str, list[Rewrite]]:
    """The pod's copy of a ZooKeeper config file: paths on volumes under the directories
    standing for them, and the client port bound to the pod's IP."""
    lines = text.splitlines()
    rewrites = []
    mounts = sorted(pod.volume_dirs, key=len, reverse=True)
    keys = {}
    for index, line in enumerate(lines):
        key, sep, value = line.partition("=")
        if not sep or line.lstrip().startswith("#"):
            continue
        key, value = key.strip(), value.strip()
        keys[key] = index
        for mount_path in mounts:
            if value == mount_path or value.startswith(mount_path + "/"):
                local = f"{pod.volume_dirs[mount_path]}{value[len(mount_path):]}"
                lines[index] = f"{key}={local}"
                rewrites.append(Rewrite(
                    "file", f"{name}: {key}", local, value,
                    f"A path on the volume mounted at {mount_path}: the same path under the "
                    "directory standing for it."))
                break
    client_address = None
    if "clientPortAddress" in keys:
        client_address = lines[keys["clientPortAddress"]].split("=", 1)[1].strip()
    if "clientPort" in keys and client_address in (None, *WILDCARDS):
        reason = (
            "Without clientPortAddress ZooKeeper binds its client port on 0.0.0.0, which in a "
            "pod means the pod's own network namespace: its IP. Here the pods share the host's, "
            "where every server would bind the same port; the pod's loopback IP is what "
            "0.0.0.0 means inside the pod. (The quorum and election ports already bind the "
            "address of the server's own server.N line.)")
        if client_address is None:
            lines.append(f"clientPortAddress={pod.ip}")
        else:
            lines[keys["clientPortAddress"]] = f"clientPortAddress={pod.ip}"
        rewrites.append(Rewrite("file", f"{name}: clientPortAddress", pod.ip, client_address, reason))
    return "\n".join(lines) + "\n", rewrites


def four_letter_word(ip: str, port: int, word: str, timeout: float = 3) -> str:
    """A ZooKeeper four-letter-word command's answer (``srvr``, ``ruok``, ``mntr``)."""
    with socket.create_connection((ip, port), timeout=timeout) as connection:
        connection.sendall(word.encode())
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks).decode(errors="replace")


class ZooKeeperError(Exception):
    """A ZooKeeper request failed; ``code`` is ZooKeeper's error code (-101: no node)."""

    def __init__(self, code: int, path: str = ""):
        super().__init__(f"ZooKeeper error {code} {path}".strip())
        self.code = code


class ZooKeeperClient:
    """Just enough of ZooKeeper's client protocol (jute over TCP) to read nodes: a session,
    ``get`` and ``children``. For looking at what Flink keeps in ZooKeeper, never for
    writing."""

    NO_NODE = -101

    def __init__(self, ip: str, port: int, timeout: float = 5, session_timeout_ms: int = 10000):
        self._socket = socket.create_connection((ip, port), timeout=timeout)
        self._xid = 0
        try:
            # ConnectRequest: protocolVersion, lastZxidSeen, timeOut, sessionId, passwd, readOnly
            self._send(struct.pack(">iqiqi", 0, 0, session_timeout_ms, 0, 16) + bytes(16) + b"\0")
            reply = self._receive()
            _, negotiated, session = struct.unpack(">iiq", reply[:16])
            if negotiated <= 0:
                raise ZooKeeperError(0, "session refused")
            self.session_id = session
        except BaseException:
            self._socket.close()
            raise

    def _send(self, payload: bytes) -> None:
        self._socket.sendall(struct.pack(">i", len(payload)) + payload)

    def _read(self, count: int) -> bytes:
        data = b""
        while len(data) < count:
            chunk = self._socket.recv(count - len(data))
            if not chunk:
                raise ConnectionError("ZooKeeper closed the connection")
            data += chunk
        return data

    def _receive(self) -> bytes:
        (length,) = struct.unpack(">i", self._read(4))
        return self._read(length)

    def _call(self, op: int, body: bytes, path: str = "") -> bytes:
        self._xid += 1
        self._send(struct.pack(">ii", self._xid, op) + body)
        while True:
            reply = self._receive()
            xid, _, error = struct.unpack(">iqi", reply[:16])
            if xid != self._xid:  # a ping's or a watch's reply
                continue
            if error:
                raise ZooKeeperError(error, path)
            return reply[16:]

    @staticmethod
    def _path(path: str) -> bytes:
        encoded = path.encode()
        return struct.pack(">i", len(encoded)) + encoded + b"\0"  # path, watch=false

    def get(self, path: str) -> bytes:
        reply = self._call(4, self._path(path), path)
        (length,) = struct.unpack(">i", reply[:4])
        return b"" if length < 0 else reply[4:4 + length]

    def children(self, path: str) -> list[str]:
        reply = self._call(8, self._path(path), path)
        (count,) = struct.unpack(">i", reply[:4])
        names, offset = [], 4
        for _ in range(max(count, 0)):
            (length,) = struct.unpack(">i", reply[offset:offset + 4])
            names.append(reply[offset + 4:offset + 4 + length].decode())
            offset += 4 + length
        return sorted(names)

    def exists(self, path: str) -> bool:
        try:
            self.get(path)
        except ZooKeeperError as exc:
            if exc.code == self.NO_NODE:
                return False
            raise
        return True

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._call(-11, b"")
        self._socket.close()

    def __enter__(self) -> ZooKeeperClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def flink_leader_information(data: bytes) -> tuple[str, str]:
    """(address, leader session id) of a Flink leader node
    (``<root>/<cluster-id>/leader/<component>/connection_info``): Java serialization of
    ``writeUTF(address)``, then ``writeObject(sessionId)``, a UUID whose fields come last
    (leastSigBits, mostSigBits)."""
    assert data[:4] == b"\xac\xed\x00\x05" and data[4] == 0x77, f"not Flink leader information: {data[:16]!r}"
    (length,) = struct.unpack(">H", data[6:8])
    address = data[8:8 + length].decode()
    assert b"java.util.UUID" in data, f"no leader session id: {data!r}"
    digits = (data[-8:] + data[-16:-8]).hex()
    session = f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"
    return address, session


def flink_leader_address(data: bytes) -> str:
    return flink_leader_information(data)[0]


