#!/usr/bin/env bash
# Builds the test control plane from the Go module proxy: kube-apiserver,
# kube-controller-manager and kube-scheduler of the release tools/kubernetes/go.mod pins, and
# etcd from the etcd server module that release pins (tools/kubernetes/etcd), with the
# Kubernetes version ldflags (an API server that reports no version sends clients to old
# code paths). The binaries go to a folder outside the checkout, keyed by the versions and
# the module's go.sum, so every checkout and CI run on this machine reuses one build:
#   ${PULUMI_FLINK_CACHE:-~/.cache/pulumi-flink}/kubernetes/<release>-<key>/bin
# Prints that folder. Idempotent: a second run only prints it. The cold build takes minutes.
set -euo pipefail
cd "$(dirname "$0")/.."

module=tools/kubernetes
cache_root="${PULUMI_FLINK_CACHE:-$HOME/.cache/pulumi-flink}/kubernetes"
release=$(go -C "$module" list -m -f '{{.Version}}' k8s.io/kubernetes)
key=$( (go version; cat "$module/go.mod" "$module/go.sum" "$module"/etcd/*.go) | sha256sum | cut -c1-12)
target="$cache_root/$release-$key"
tools=(kube-apiserver kube-controller-manager kube-scheduler etcd)

built() {
    local tool
    for tool in "${tools[@]}"; do
        [ -x "$target/bin/$tool" ] || return 1
    done
}

if ! built; then
    # v1.34.4 -> major 1, minor 34: what `kubectl version` and clients read.
    IFS=. read -r major minor _ <<<"${release#v}"
    version_flags=""
    for package in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
        version_flags+=" -X $package.gitVersion=$release -X $package.gitMajor=$major"
        version_flags+=" -X $package.gitMinor=$minor -X $package.gitTreeState=clean"
        version_flags+=" -X $package.buildDate=1970-01-01T00:00:00Z"
    done
    echo "setup-kubernetes: building Kubernetes $release and etcd into $target (minutes, once)" >&2
    staging="$target.building.$$"
    rm -rf "$staging"
    mkdir -p "$staging/bin"
    trap 'rm -rf "$staging"' EXIT
    CGO_ENABLED=0 go -C "$module" build -trimpath -ldflags "-s -w$version_flags" -o "$staging/bin/" \
        k8s.io/kubernetes/cmd/kube-apiserver \
        k8s.io/kubernetes/cmd/kube-controller-manager \
        k8s.io/kubernetes/cmd/kube-scheduler \
        ./etcd
    rm -rf "$target"
    mv "$staging" "$target"
    trap - EXIT
fi
echo "$target/bin"
