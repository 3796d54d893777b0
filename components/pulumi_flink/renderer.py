"""Offline render: run a stack program in-process under Pulumi's mock mode.

No CLI, no cluster, no state. Every registered resource is recorded with its
inputs (as the engine would receive them), its parent, its provider and its
dependencies, so the render can be written as manifests, summarised, and
checked for the waits it would cause.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime.settings import SETTINGS
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from .program import PROJECT, StackConfig, build_stack

RANDOM_ID_TYPE = "random:index/randomId:RandomId"


@dataclass
class RecordedResource:
    urn: str
    type: str
    name: str
    custom: bool
    inputs: dict[str, Any]
    parent: str
    provider: str
    dependencies: tuple[str, ...]
    aliases: tuple[str, ...] = ()
    replace_on_changes: tuple[str, ...] = ()


@dataclass
class Render:
    """Everything one program registered, in registration order."""

    resources: list[RecordedResource] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def by_urn(self) -> dict[str, RecordedResource]:
        return {r.urn: r for r in self.resources}

    def kubernetes_resources(self) -> list[RecordedResource]:
        """The records of Kubernetes objects (provider resources are typed ``pulumi:providers:``)."""
        return [r for r in self.resources if r.custom and r.type.startswith("kubernetes:")]

    def kubernetes_objects(self) -> list[dict[str, Any]]:
        """Manifests of every Kubernetes object, sorted by namespace, kind and name."""
        objects = [manifest_from_inputs(r.inputs) for r in self.kubernetes_resources()]
        return sorted(objects, key=_object_sort_key)

    def waits_of(self, resource: RecordedResource) -> list[RecordedResource]:
        """The custom resources ``resource`` waits for (a wait on a component means its children)."""
        by_urn = self.by_urn
        return [by_urn[d] for d in resource.dependencies if d in by_urn and by_urn[d].custom]

    def wait_chain(self) -> list[str]:
        """The longest chain of resources that each wait for the one before (explicit or Output edges).

        Ties are broken by URN, so the answer never depends on registration or set order.
        """
        by_urn = self.by_urn
        memo: dict[str, list[str]] = {}

        def longest(urn: str) -> list[str]:
            if urn not in memo:
                deps = sorted(d.urn for d in self.waits_of(by_urn[urn]))
                best = max((longest(d) for d in deps), key=len, default=[])
                memo[urn] = [*best, urn]
            return memo[urn]

        customs = sorted(r.urn for r in self.resources if r.custom)
        return max((longest(u) for u in customs), key=len, default=[])


def _object_sort_key(obj: Mapping[str, Any]) -> tuple[str, str, str]:
    meta = obj.get("metadata", {})
    return (meta.get("namespace", ""), obj.get("kind", ""), meta.get("name", ""))


# How the engine marks a secret value on the wire (pulumi.runtime.rpc's special signatures).
_SIG_KEY = "4dabf18193072939515e22adb298388d"
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
REDACTED = "(secret: set at deploy time, never rendered)"


def _redacted(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _redacted(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [_redacted(v) for v in value]
    return REDACTED


def _plain(value: Any) -> Any:
    """Wire form back to manifest form: integral floats become ints, unset values vanish,
    secret values (Pulumi secrets) are redacted."""
    if isinstance(value, dict) and value.get(_SIG_KEY) == _SECRET_SIG:
        return _redacted(value.get("value"))
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _plain(value[k]) for k in sorted(value) if value[k] is not None}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def manifest_from_inputs(inputs: Mapping[str, Any]) -> dict[str, Any]:
    plain = _plain(dict(inputs))
    ordered = {key: plain[key] for key in ("apiVersion", "kind", "metadata") if key in plain}
    ordered.update({k: v for k, v in sorted(plain.items()) if k not in ordered})
    return ordered


class _Mocks(pulumi.runtime.Mocks):
    """Return the inputs as the state, with the Kubernetes name as the id."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        if args.typ == RANDOM_ID_TYPE:
            # A stand-in for the id pulumi-random draws at `pulumi up`: stable per resource name.
            size = int(args.inputs.get("byteLength", 4))
            digits = hashlib.sha256(args.name.encode()).hexdigest()[: 2 * size]
            return f"{args.name}-id", {**args.inputs, "hex": digits, "dec": str(int(digits, 16))}
        metadata = args.inputs.get("metadata") or {}
        identity = metadata.get("name") if isinstance(metadata, dict) else None
        return f"{identity or args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


class _RecordingMonitor(pulumi_mocks.MockMonitor):
    def __init__(self, mocks: pulumi.runtime.Mocks, render: Render) -> None:
        super().__init__(mocks)
        self.render = render

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        if request.type != "pulumi:pulumi:Stack":
            inputs = self.resources[response.urn].state if response.urn in self.resources else {}
            self.render.resources.append(
                RecordedResource(
                    urn=response.urn,
                    type=request.type,
                    name=request.name,
                    custom=bool(request.custom),
                    inputs=dict(inputs),
                    parent=request.parent,
                    provider=request.provider,
                    dependencies=tuple(sorted(request.dependencies)),
                    aliases=tuple(str(a) for a in request.aliasURNs),
                    replace_on_changes=tuple(request.replaceOnChanges),
                )
            )
        return response


def run_program(
    program: Callable[[], Any],
    project: str = PROJECT,
    stack: str = "render",
    into: Render | None = None,
) -> Render:
    """Run ``program`` under mocks (not a preview, so every ``apply`` runs) and record it.

    ``into`` receives the records even when the program raises.
    """
    render = into if into is not None else Render()
    mocks = _Mocks()
    monitor = _RecordingMonitor(mocks, render)
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=False, monitor=monitor)
    SETTINGS.rpc_manager.clear()
    SETTINGS.outputs.clear()

    def body() -> None:
        result = program()
        _sync_await(pulumi.Output.from_input(result).future())

    _sync_await(run_pulumi_func(body))
    return render


def render_stack(stack: StackConfig, stack_name: str = "render", project: str = PROJECT) -> Render:
    """Build a validated stack config under mocks; never touches a cluster."""
    render = run_program(lambda: build_stack(stack) and None, project=project, stack=stack_name)
    render.warnings = stack.warnings
    return render
