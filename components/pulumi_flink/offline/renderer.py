"""Offline render: run a stack program in-process under Pulumi's mock mode.

No CLI, no cluster, no state. Every registered resource is recorded with its
inputs (as the engine would receive them), its parent, its provider and its
dependencies, so the render can be written as manifests, summarised, and
checked for the waits it would cause.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import hashlib
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime.settings import SETTINGS
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from pulumi_flink.program import PROJECT, StackConfig, build_stack

RANDOM_ID_TYPE = "random:index/randomId:RandomId"


@dataclass(frozen=True)
class AliasSpec:
    """One entry of a resource's ``aliases`` option, as the SDK sent it to the engine."""

    urn: str = ""
    name: str = ""
    type: str = ""
    parent: str = ""
    """The (recorded) URN of the alias's parent; empty: the resource's own parent."""
    no_parent: bool = False


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
    aliases: tuple[AliasSpec, ...] = ()
    replace_on_changes: tuple[str, ...] = ()


@dataclass
class Render:
    """Everything one program registered, in registration order."""

    resources: list[RecordedResource] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    stack: str = "render"
    project: str = PROJECT

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

    def engine_urn(self, resource: RecordedResource) -> str:
        """The URN the Pulumi engine gives the resource: the whole chain of parent types, and no
        Stack type for top-level resources (the mock monitor's URNs keep only the last parent type)."""
        return self._urn(self._qualified_type(resource.parent, resource.type), resource.name)

    def alias_urns(self, resource: RecordedResource) -> set[str]:
        """Every earlier engine URN the engine accepts as this resource: those of its own
        ``aliases`` and those inherited from its parents' aliases. A child named
        ``<parent name>-x`` inherits ``<alias name>-x`` under the parent's alias, which is why
        every child name in this library starts with its component's name."""
        own = set()
        for alias in resource.aliases:
            if alias.urn:
                own.add(alias.urn)
                continue
            parent = "" if alias.no_parent else (alias.parent or resource.parent)
            qualified_type = self._qualified_type(parent, alias.type or resource.type)
            own.add(self._urn(qualified_type, alias.name or resource.name))
        parent_resource = self.by_urn.get(resource.parent)
        if parent_resource is None:
            return own
        inherited = set()
        for parent_alias in self.alias_urns(parent_resource):
            _, _, parent_type, parent_name = parent_alias.split("::", 3)
            for urn in {self.engine_urn(resource), *own}:
                name = urn.rsplit("::", 1)[1]
                if name.startswith(parent_resource.name):
                    name = parent_name + name[len(parent_resource.name) :]
                inherited.add(self._urn(f"{parent_type}${resource.type}", name))
        return own | inherited

    def _qualified_type(self, parent_urn: str, type_: str) -> str:
        parent = self.by_urn.get(parent_urn)
        return type_ if parent is None else f"{self._qualified_type(parent.parent, parent.type)}${type_}"

    def _urn(self, qualified_type: str, name: str) -> str:
        return f"urn:pulumi:{self.stack}::{self.project}::{qualified_type}::{name}"

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


def _alias_specs(request: Any) -> tuple[AliasSpec, ...]:
    specs = [AliasSpec(urn=urn) for urn in request.aliasURNs]
    for alias in request.aliases:
        if alias.urn:
            specs.append(AliasSpec(urn=alias.urn))
        else:
            spec = alias.spec
            specs.append(AliasSpec("", spec.name, spec.type, spec.parentUrn, spec.noParent))
    return tuple(specs)


class _RecordingMonitor(pulumi_mocks.MockMonitor):
    def __init__(self, mocks: pulumi.runtime.Mocks, render: Render) -> None:
        super().__init__(mocks)
        self.render = render

    # Pulumi calls the monitor on executor threads, where MockMonitor makes an event loop for the
    # thread and never closes it; each call here gets one that is closed when the call returns.
    def Invoke(self, request: Any) -> Any:
        with _call_loop():
            return super().Invoke(request)  # type: ignore[no-untyped-call]

    def ReadResource(self, request: Any) -> Any:
        with _call_loop():
            return super().ReadResource(request)  # type: ignore[no-untyped-call]

    def RegisterResource(self, request: Any) -> Any:
        with _call_loop():
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
                    aliases=_alias_specs(request),
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
    render.stack, render.project = stack, project
    with _program_loop():
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


@contextlib.contextmanager
def _call_loop() -> Iterator[None]:
    """An event loop for one monitor call on a thread without a running loop, closed after it."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        yield  # called from inside the program's loop: MockMonitor uses that one
        return
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        yield
    finally:
        asyncio.set_event_loop(None)
        loop.close()


_LOOPS_CLOSED_AT_EXIT: list[asyncio.AbstractEventLoop] = []


def _close_at_exit(loop: asyncio.AbstractEventLoop) -> None:
    if not loop.is_closed() and not loop.is_running():
        loop.close()


@contextlib.contextmanager
def _program_loop() -> Iterator[asyncio.AbstractEventLoop]:
    """The thread's event loop for a program run (a new one if there is none or it is closed).

    It stays open for the next run (Outputs made between runs belong to it) and is closed at
    interpreter exit. Left to the garbage collector instead, it is closed during interpreter
    teardown, after its self-pipe sockets may be gone: a stray ``BaseEventLoop.__del__ ...
    Invalid file descriptor`` on stderr after a good render. Tasks the run leaves are cancelled.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+: no implicit loop
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_event_loop()
        except RuntimeError:
            loop = None
    if loop is None or loop.is_closed():
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
    if loop not in _LOOPS_CLOSED_AT_EXIT:
        _LOOPS_CLOSED_AT_EXIT.append(loop)
        atexit.register(_close_at_exit, loop)
    earlier = asyncio.all_tasks(loop)
    try:
        yield loop
    finally:
        left = asyncio.all_tasks(loop) - earlier
        for task in left:
            task.cancel()
        if left and not loop.is_running():
            loop.run_until_complete(asyncio.gather(*left, return_exceptions=True))


def render_stack(stack: StackConfig, stack_name: str = "render", project: str = PROJECT) -> Render:
    """Build a validated stack config under mocks; never touches a cluster."""
    render = run_program(lambda: build_stack(stack) and None, project=project, stack=stack_name)
    render.warnings = stack.warnings
    return render
