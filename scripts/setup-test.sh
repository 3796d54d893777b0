#!/usr/bin/env bash
# Installs what the full test suite needs, on top of scripts/setup.sh:
#   - a Java 17+ JDK (javac): Debian's openjdk-17-jdk-headless when no javac 17+ is found;
#   - curl and openssl (the jar-fetch init container is run with curl against a local
#     HTTPS server whose certificate openssl makes), when missing;
#   - Debian's etcd-server and zookeeper (the rendered etcd members and ZooKeeper servers
#     are started with them), when missing;
#   - a C compiler (gcc) for the test harness's pod-network library, when missing;
#   - Debian's iptables (its iptables-legacy diverts the node network's new connections to
#     the NetworkPolicy engine's queue, tests/support/policy_engine.py), when missing;
#   - the Flink distributions the real-Flink tests run (scripts/flink_dist.py, into .cache/flink);
#   - the test control plane, built from Go modules (scripts/setup-kubernetes.sh);
#   - the NetworkPolicy engine, built from its Go module (scripts/setup-network-policies.sh).
# Idempotent and quiet when everything is already in place.
# FLINK_DIST_FROM=DIR takes the Flink archives from DIR instead of PyPI (development only).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Release of a javac (17 for "javac 17.0.15"), 0 if it does not run.
javac_release() {
    "$1" -version 2>&1 | sed -n 's/^javac \([0-9][0-9]*\).*/\1/p' | head -n 1 | grep . || echo 0
}

have_jdk17() {
    local javac
    for javac in ${JAVA_HOME:+"$JAVA_HOME/bin/javac"} "$(command -v javac || true)" /usr/lib/jvm/*/bin/javac; do
        if [ -x "$javac" ] && [ "$(javac_release "$javac")" -ge 17 ]; then
            return 0
        fi
    done
    return 1
}

apt_updated=0
apt_install() {
    export DEBIAN_FRONTEND=noninteractive
    if [ "$apt_updated" -eq 0 ]; then
        as_root apt-get update -qq
        apt_updated=1
    fi
    as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

missing=()
for tool in curl openssl; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
command -v etcd >/dev/null || missing+=(etcd-server)
# A C compiler builds the harness's pod-network preload library (tests/support/pods/pod_network.py).
command -v cc >/dev/null || missing+=(gcc libc6-dev)
[ -x /usr/share/zookeeper/bin/zkServer.sh ] || missing+=(zookeeper)
command -v iptables-legacy >/dev/null || missing+=(iptables)
if [ "${#missing[@]}" -gt 0 ]; then
    echo "setup-test: installing ${missing[*]}" >&2
    apt_install "${missing[@]}"
fi

if ! have_jdk17; then
    echo "setup-test: no javac 17+ found; installing openjdk-17-jdk-headless" >&2
    apt_install openjdk-17-jdk-headless
    if ! have_jdk17; then
        echo "setup-test: openjdk-17-jdk-headless is installed but no javac 17+ was found" >&2
        exit 1
    fi
fi

.venv/bin/python scripts/flink_dist.py

# Checkov, the policy gate's scanner (scripts/policy_scan.py), pinned, in a virtualenv of its
# own: its many dependencies (pydantic, ...) would clash with the project's. Reinstalled only
# when the pin changes; a stamp names the installed version. About 45 s the first time.
CHECKOV_VERSION=3.3.30
checkov_venv=.cache/checkov-venv
if [ "$(cat "$checkov_venv/.installed" 2>/dev/null)" != "$CHECKOV_VERSION" ]; then
    echo "setup-test: installing checkov $CHECKOV_VERSION into $checkov_venv" >&2
    rm -rf "$checkov_venv"
    python3 -m venv "$checkov_venv"
    "$checkov_venv/bin/python" -m pip install --quiet "checkov==$CHECKOV_VERSION"
    echo "$CHECKOV_VERSION" >"$checkov_venv/.installed"
fi

# The real control plane of tests/kubernetes (kube-apiserver, controller manager, scheduler,
# etcd), built from the Go module proxy once per version into ~/.cache/pulumi-flink/kubernetes
# (scripts/setup-kubernetes.sh; several minutes the first time on a machine, then nothing).
bash scripts/setup-kubernetes.sh >/dev/null

# The NetworkPolicy engine of tests/kubernetes/test_network_policies.py (kube-network-policies),
# built once per version into ~/.cache/pulumi-flink/network-policies (about 5 minutes the first
# time on a machine, then nothing).
bash scripts/setup-network-policies.sh >/dev/null
