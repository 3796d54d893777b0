"""What a cluster claims that no other cluster may share, and the check that refuses a second claim.

A cluster claims its Kubernetes objects (namespace, kind, name), its HA cluster id on its
store (leader election and HA metadata live under it), and its REST node port (open on every
node of the Kubernetes cluster, whatever the namespace). The stack program checks the
clusters of a stack file against each other; ``FlinkCluster`` checks each component against
the ones the running program made before it through the same Kubernetes provider. Both build
their problems here, so a collision reads the same from a stack file and from Python.

The objects come from the components themselves: ``planned_render`` builds the spec's
``FlinkCluster`` under the offline renderer's mocks and reads what it registered, so no list
of objects is kept by hand.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
import weakref
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi
from pulumi.runtime import settings as pulumi_settings

from pulumi_flink.render.flink_config import flink_values
from pulumi_flink.spec import FlinkClusterSpec
from pulumi_flink.spec.errors import Problem

if TYPE_CHECKING:
    from pulumi_flink.offline.renderer import Render

_PLANNING: contextvars.ContextVar[bool] = contextvars.ContextVar("pulumi_flink_planning", default=False)

# A stand-in HA id for an incarnation's random one: no cluster can claim it (not DNS-1123).
_INCARNATION_ID = "<incarnation>"


def planning() -> bool:
    """Whether the code runs inside ``planned_render``: a plan claims nothing and warns of nothing."""
    return _PLANNING.get()


def planned_render(spec: FlinkClusterSpec, credentials: Collection[str] = ()) -> Render:
    """Everything ``FlinkCluster`` registers for ``spec`` (with ``haCredentials`` of these
    variable names), recorded under the offline renderer's mocks.

    Safe inside a running program (``pulumi up`` or another render): Pulumi keeps a program's
    runtime settings in context variables, so the plan runs as Pulumi's own Automation API
    runs an inline program: in a copy of the caller's context, on a thread and event loop of
    its own, with the per-run state (root resource, outputs, lock, package caches) fresh. The
    settings it writes land in that copy only; the caller's program never sees them.
    """
    from pulumi_flink.offline.renderer import run_program
    from pulumi_flink.resources.cluster import FlinkCluster

    secrets = {name: "" for name in credentials} if credentials else None
    context = contextvars.copy_context()
    outcome: dict[str, Any] = {}

    def plan() -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            _PLANNING.set(True)
            pulumi_settings.ROOT.set(None)
            settings = pulumi_settings.SETTINGS
            settings.outputs = set()
            settings.lock = threading.Lock()
            settings.package_refs = {}
            settings.base_providers_by_ref = {}
            outcome["render"] = run_program(
                lambda: FlinkCluster(spec.name, spec, ha_credentials=secrets) and None
            )
        except BaseException as error:  # re-raised in the caller's thread
            outcome["error"] = error
        finally:
            loop.run_until_complete(loop.shutdown_default_executor())
            asyncio.set_event_loop(None)
            loop.close()

    worker = threading.Thread(target=context.run, args=(plan,), name=f"pulumi-flink-plan-{spec.name}")
    worker.start()
    worker.join()
    if "error" in outcome:
        raise outcome["error"]
    render: Render = outcome["render"]
    return render


@dataclass(frozen=True)
class Claim:
    """One thing a cluster holds alone. ``key`` says what (normalised: two equal keys are the
    same thing); ``path`` is the field that makes it, in camelCase."""

    key: tuple[str, ...]
    path: str
    subject: str
    """What is claimed, as the message names it: "its Service 'a-rest'"."""
    conflict: str
    """The rest of the message after the first holder: " in namespace flink."."""
    fix: str
    holder: str = ""
    """Who inside the cluster holds it, for the message: "job cluster 'etl-a' of "."""
    relation: str = "is already taken by "


def _objects(render: Render) -> Iterator[Claim]:
    for obj in render.kubernetes_objects():
        meta = obj["metadata"]
        namespace, kind, name = meta.get("namespace", ""), obj["kind"], meta["name"]
        yield Claim(
            ("object", namespace, kind, name),
            "name",
            f"its {kind} {name!r}",
            f" in namespace {namespace}.",
            "rename one of the clusters, or put them in different namespaces",
            relation="would be the same object as one of ",
        )


def _node_ports(spec: FlinkClusterSpec, render: Render) -> Iterator[Claim]:
    fix = "give each cluster its own rest.nodePort, or leave it unset so Kubernetes picks a free one"
    if spec.mode == "per-job":
        fix = "leave rest.nodePort unset: every job cluster's REST Service would ask for it"
    for obj in render.kubernetes_objects():
        service = obj.get("spec", {})
        if obj["kind"] != "Service" or service.get("type") != "NodePort":
            continue
        name = obj["metadata"]["name"]
        for port in service.get("ports", []):
            if "nodePort" in port:
                yield Claim(
                    ("nodePort", str(port["nodePort"])),
                    "rest.nodePort",
                    f"node port {port['nodePort']} of its Service {name!r}",
                    ": a node port is open on every node of the Kubernetes cluster, whatever the "
                    "namespace, so only one Service can have it.",
                    fix,
                    holder=f"Service {name!r} of ",
                )


_CLUSTER_DOMAIN = ".cluster.local"  # Kubernetes' default cluster domain


def quorum_servers(quorum: str, namespace: str) -> set[str]:
    """The servers of a ZooKeeper connect string, each as one name whatever way it is written:
    order, case, whitespace, a trailing dot and the cluster domain aside; a bare Service name
    completed as the Flink pods in ``namespace`` resolve it (``zk`` is ``zk.<namespace>.svc``);
    and a server of a StatefulSet named by its pod (``<set>-0.<set>-peers.<ns>.svc``, as the
    library's ensembles are) as the set's client Service ``<set>.<ns>.svc``, so an
    ``existingQuorum`` naming a library-run ensemble is that ensemble. ``a.b`` is a pod ``a``
    of a headless Service ``b`` in the pods' namespace or a Service ``a`` in namespace ``b``,
    whichever exists: it stays as written, the same server only from the same namespace."""
    servers = set()
    for member in quorum.split(","):
        host, _, port = member.strip().lower().rpartition(":")
        labels = host.rstrip(".").removesuffix(_CLUSTER_DOMAIN).split(".")
        if not host:
            continue
        if len(labels) == 1:
            servers.add(f"{labels[0]}.{namespace}.svc:{port}")
        elif len(labels) == 2:
            servers.add(f"{'.'.join(labels)}:{port} (from namespace {namespace})")
        else:
            if len(labels) == 4 and labels[3] == "svc":
                stateful_set, _, ordinal = labels[0].rpartition("-")
                if ordinal.isdigit() and labels[1] == f"{stateful_set}-peers":
                    labels = [stateful_set, labels[2], "svc"]
            servers.add(f"{'.'.join(labels)}:{port}")
    return servers


def _zookeeper_node(path_root: str, cluster_id: str) -> str:
    """The ZooKeeper node a cluster's HA data lives under (Flink joins the two, slashes aside)."""
    return "/" + "/".join(part for part in f"{path_root}/{cluster_id}".split("/") if part)


def _running_clusters(spec: FlinkClusterSpec) -> list[tuple[str, FlinkClusterSpec]]:
    """(holder, spec) of each Flink cluster the spec runs: itself, or per-job mode's job clusters."""
    if spec.mode != "per-job":
        return [("", spec)]
    return [(f"job cluster {spec.job_cluster(job).name!r} of ", spec.job_cluster(job)) for job in spec.jobs]


def _ha_ids(spec: FlinkClusterSpec) -> Iterator[Claim]:
    """The HA cluster ids the spec fixes on their stores, read from the Flink configuration the
    ConfigMap carries (an id drawn per incarnation can meet no other)."""
    fix = (
        "give each cluster its own highAvailability.clusterId, or leave it unset for an id drawn "
        "per incarnation"
    )
    if spec.mode == "per-job":
        fix = "leave highAvailability.clusterId unset: every job cluster would inherit it, and each needs one"
    for holder, running in _running_clusters(spec):
        if not running.high_availability.enabled:
            continue
        article, of_whom = ("the", f" of its job cluster {running.name!r}") if holder else ("its", "")
        # The id FlinkHighAvailability gives: highAvailability.clusterId, else one per incarnation.
        values = flink_values(running, running.high_availability.cluster_id or _INCARNATION_ID)
        if running.high_availability.flink_type == "kubernetes":
            # Flink names its Kubernetes HA ConfigMaps after kubernetes.cluster-id: the HA id
            # in standalone mode, the cluster name in native mode.
            cluster_id, namespace = str(values["kubernetes.cluster-id"]), str(values["kubernetes.namespace"])
            if cluster_id == _INCARNATION_ID:
                continue
            yield Claim(
                ("kubernetesHa", namespace, cluster_id),
                "name" if running.native else "highAvailability.clusterId",
                f"{article} Kubernetes HA cluster id {cluster_id!r} (kubernetes.cluster-id){of_whom}",
                f" in namespace {namespace}: the two would share leader election and HA metadata.",
                "rename one of the clusters" if running.native else fix,
                holder,
            )
        else:
            cluster_id = str(values["high-availability.cluster-id"])
            if cluster_id == _INCARNATION_ID:
                continue
            quorum = str(values["high-availability.zookeeper.quorum"])
            node = _zookeeper_node(str(values["high-availability.zookeeper.path.root"]), cluster_id)
            # A server belongs to one ensemble: two quorums that share one are the same store.
            for server in sorted(quorum_servers(quorum, running.namespace)):
                yield Claim(
                    ("zookeeperHa", server, node),
                    "highAvailability.clusterId",
                    f"{article} HA cluster id {cluster_id!r} (ZooKeeper node {node}){of_whom}",
                    f" on the ZooKeeper ensemble of {server}: the two would share leader election and "
                    "HA metadata.",
                    fix if spec.mode == "per-job" else f"{fix}, or give it its own highAvailability.pathRoot",
                    holder,
                )


def cluster_claims(spec: FlinkClusterSpec, credentials: Collection[str] = ()) -> tuple[Claim, ...]:
    """Everything ``spec`` (a valid spec) claims: its objects, node ports and HA ids.

    Kept per spec (a plan depends on nothing else), as a stack's clusters are planned twice:
    by the stack check, then by each ``FlinkCluster``."""
    key = (spec.model_dump_json(), tuple(sorted(credentials)))
    claims = _CLAIMS_BY_SPEC.get(key)
    if claims is None:
        render = planned_render(spec, credentials)
        claims = (*_objects(render), *_node_ports(spec, render), *_ha_ids(spec))
        if len(_CLAIMS_BY_SPEC) >= _CLAIMS_KEPT:
            _CLAIMS_BY_SPEC.pop(next(iter(_CLAIMS_BY_SPEC)))
        _CLAIMS_BY_SPEC[key] = claims
    return claims


_CLAIMS_KEPT = 256
_CLAIMS_BY_SPEC: dict[tuple[str, tuple[str, ...]], tuple[Claim, ...]] = {}


class Claims:
    """The claims of the clusters checked so far, and who made each."""

    def __init__(self) -> None:
        self._holders: dict[tuple[str, ...], str] = {}

    def claim(self, owner: str, claims: Iterable[Claim]) -> list[Problem]:
        """Record ``owner``'s claims unless one is held already (by another cluster, or twice
        by the same one): then record nothing and return the problems, one per kind of claim."""
        problems: dict[str, Problem] = {}
        mine: dict[tuple[str, ...], str] = {}
        for claim in claims:
            first = self._holders.get(claim.key) or mine.get(claim.key)
            kind = claim.key[0]
            if first is not None and kind not in problems:
                message = f"{claim.subject} {claim.relation}{first}{claim.conflict}"
                problems[kind] = Problem(claim.path, message, claim.fix)
            mine.setdefault(claim.key, f"{claim.holder}{owner}")
        if not problems:
            self._holders.update(mine)
        return list(problems.values())


# The claims of each running program (its resource monitor: one per `pulumi up`, one per
# offline render), per Kubernetes provider (None: the default one). Weak, so a finished
# program's claims go with its monitor.
_PROGRAM_CLAIMS: weakref.WeakKeyDictionary[Any, dict[tuple[str, str, object], Claims]] = (
    weakref.WeakKeyDictionary()
)


def program_claims(provider: pulumi.ProviderResource | None) -> Claims:
    """The claims made so far in the running program through ``provider``."""
    monitor = pulumi_settings.get_monitor()
    if monitor is None:  # no program runs: nothing can be registered, nothing is shared
        return Claims()
    by_provider = _PROGRAM_CLAIMS.setdefault(monitor, {})
    key = (pulumi.get_project(), pulumi.get_stack(), provider)
    return by_provider.setdefault(key, Claims())


def kubernetes_provider(opts: pulumi.ResourceOptions | None) -> pulumi.ProviderResource | None:
    """The provider a component's Kubernetes objects go through, as Pulumi hands providers down
    to children: the ``providers`` option, then ``provider``, then the parent's; None: the default."""
    if opts is None:
        return None
    providers = opts.providers
    if isinstance(providers, Mapping):
        found = providers.get("kubernetes")
    else:
        found = next((p for p in providers or () if p.package == "kubernetes"), None)
    if found is None and opts.provider is not None and opts.provider.package == "kubernetes":
        found = opts.provider
    if found is None and opts.parent is not None:
        found = opts.parent.get_provider("kubernetes::")
    return found
