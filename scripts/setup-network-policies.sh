#!/usr/bin/env bash
# Builds the NetworkPolicy engine of the Kubernetes tests from the Go module proxy:
# kube-network-policies at the release tools/network-policies/go.mod pins (its main package,
# sigs.k8s.io/kube-network-policies/cmd). The binary goes to a folder outside the checkout,
# keyed by the release and the module's go.sum, as scripts/setup-kubernetes.sh does:
#   ${PULUMI_FLINK_CACHE:-~/.cache/pulumi-flink}/network-policies/<release>-<key>/bin
# Prints that folder. Idempotent: a second run only prints it. The cold build takes ~5 minutes
# on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."

module=tools/network-policies
package=sigs.k8s.io/kube-network-policies
cache_root="${PULUMI_FLINK_CACHE:-$HOME/.cache/pulumi-flink}/network-policies"
release=$(go -C "$module" list -m -f '{{.Version}}' "$package")
key=$( (go version; cat "$module/go.mod" "$module/go.sum") | sha256sum | cut -c1-12)
target="$cache_root/$release-$key"
binary=kube-network-policies

if [ ! -x "$target/bin/$binary" ]; then
    echo "setup-network-policies: building $package $release into $target (minutes, once)" >&2
    staging="$target.building.$$"
    rm -rf "$staging"
    mkdir -p "$staging/bin"
    trap 'rm -rf "$staging"' EXIT
    CGO_ENABLED=0 go -C "$module" build -trimpath -ldflags "-s -w" -o "$staging/bin/$binary" "$package/cmd"
    rm -rf "$target"
    mv "$staging" "$target"
    trap - EXIT
fi
echo "$target/bin"
