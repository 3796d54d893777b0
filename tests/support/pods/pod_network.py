"""A pod's own network namespace, for sockets bound to the wildcard address.

In a pod, a process that listens on ``0.0.0.0`` (or ``::``) listens on the pod's IP only: the
pod has its own network namespace. The harness runs every pod in the host's namespace on a
loopback IP of its own, where a wildcard socket would take the port on every address, so the
next pod with the same port (every TaskManager, every standby JobManager) could not bind it,
and a connection to any pod's IP on that port would reach the first one. Flink binds most of
its sockets to configured addresses (the harness rewrites the wildcards in those keys to the
pod's IP), but some servers have no address option: Flink's Prometheus reporter serves on
``new InetSocketAddress(port)``, the wildcard, on every version.

``bind_library`` builds a small preload library (C, compiled once per source with the host's
C compiler) whose ``bind()`` turns a wildcard IPv4 address into the pod's IP and a wildcard
IPv6 address into the pod's IPv4-mapped IPv6 address (the JVM's sockets are dual-stack), and
passes every other address through. A process gets it through ``LD_PRELOAD`` and the pod's IP
through ``LOOPBACK_POD_IP``; both are listed as the pod's rewrites (``POD_NETWORK_REASON``).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.support.paths import BUILD_CACHE

POD_IP_VARIABLE = "LOOPBACK_POD_IP"
PRELOAD_VARIABLE = "LD_PRELOAD"
POD_NETWORK_REASON = (
    "A pod has its own network namespace, where a socket bound to the wildcard address listens "
    "on the pod's IP only. Here every pod shares the host's, so a preloaded bind() turns the "
    "wildcard (0.0.0.0, or :: for the JVM's dual-stack sockets) into the pod's IP, read from "
    f"{POD_IP_VARIABLE}; other addresses pass unchanged. It matters for servers without an "
    "address option, such as Flink's Prometheus reporter (InetSocketAddress(port)).")

SOURCE = r"""
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

typedef int (*bind_function)(int, const struct sockaddr *, socklen_t);

int bind(int fd, const struct sockaddr *address, socklen_t length) {
    static bind_function system_bind;
    if (system_bind == NULL) {
        system_bind = (bind_function) dlsym(RTLD_NEXT, "bind");
    }
    const char *pod_ip = getenv("LOOPBACK_POD_IP");
    struct in_addr pod;
    if (address == NULL || pod_ip == NULL || inet_pton(AF_INET, pod_ip, &pod) != 1) {
        return system_bind(fd, address, length);
    }
    if (address->sa_family == AF_INET && length >= (socklen_t) sizeof(struct sockaddr_in)) {
        struct sockaddr_in v4;
        memcpy(&v4, address, sizeof v4);
        if (v4.sin_addr.s_addr == htonl(INADDR_ANY)) {
            v4.sin_addr = pod;
            return system_bind(fd, (const struct sockaddr *) &v4, sizeof v4);
        }
    } else if (address->sa_family == AF_INET6 && length >= (socklen_t) sizeof(struct sockaddr_in6)) {
        struct sockaddr_in6 v6;
        memcpy(&v6, address, sizeof v6);
        if (IN6_IS_ADDR_UNSPECIFIED(&v6.sin6_addr)) {
            memset(v6.sin6_addr.s6_addr, 0, 10);
            v6.sin6_addr.s6_addr[10] = 0xff;
            v6.sin6_addr.s6_addr[11] = 0xff;
            memcpy(&v6.sin6_addr.s6_addr[12], &pod, 4);
            return system_bind(fd, (const struct sockaddr *) &v6, sizeof v6);
        }
    }
    return system_bind(fd, address, length);
}
"""


def bind_library(directory: Path) -> Path:
    """The preload library in ``directory`` (readable by every pod's user): built once per
    source into .cache/flink-tests, copied here."""
    digest = hashlib.sha256(SOURCE.encode()).hexdigest()[:16]
    cached = BUILD_CACHE / f"pod-network-{digest}.so"
    if not cached.exists():
        compiler = shutil.which("cc") or shutil.which("gcc")
        if compiler is None:
            raise AssertionError(
                "no C compiler for the harness's pod-network library; run `bash scripts/setup-test.sh` "
                "(Debian: apt-get install gcc)")
        BUILD_CACHE.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=BUILD_CACHE) as work:
            source = Path(work) / "pod_network.c"
            source.write_text(SOURCE)
            built = Path(work) / "pod-network.so"
            result = subprocess.run(
                [compiler, "-shared", "-fPIC", "-O2", "-Wall", "-Werror", "-o", str(built), str(source),
                 "-ldl"],
                capture_output=True, text=True, check=False,
            )
            assert result.returncode == 0, f"compiling the pod-network library failed:\n{result.stderr}"
            os.replace(built, cached)  # atomic: concurrent sessions never load a half-written file
    target = directory / "pod-network.so"
    if not target.exists():
        directory.mkdir(parents=True, exist_ok=True)
        shutil.copy2(cached, target)
        target.chmod(0o755)
    return target
