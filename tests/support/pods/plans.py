"""What the rendered objects say about their pods: Deployments, Jobs and StatefulSets reduced to
what starting their processes needs (``PodPlan``), and Services (``ServicePlan``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import yaml

from pulumi_flink.model.layout import CONF_DIR

INSTANCE_LABEL = "app.kubernetes.io/instance"
COMPONENT_LABEL = "app.kubernetes.io/component"
ZOOKEEPER_IMAGE = "zookeeper:"
"""The official ZooKeeper image: its pods run a real ZooKeeper server (see ``ZooKeeperInstall``)."""
FIELD_PATHS = ("status.podIP", "metadata.name", "metadata.namespace")
"""The downward-API fields the harness resolves for ``env[].valueFrom.fieldRef``."""



# --- what the rendered objects say -----------------------------------------------------------

@dataclass(frozen=True)
class InitPlan:
    """One init container: what it runs and which volumes it mounts where."""

    name: str
    image: str
    command: tuple[str, ...]
    """``command`` followed by ``args``."""
    mounts: Mapping[str, str]
    """mountPath -> volume name."""
    security: SecurityPlan = field(default_factory=lambda: SecurityPlan())
    """Its securityContext, merged with the pod's."""


@dataclass(frozen=True)
class SecurityPlan:
    """What a container's securityContext (merged with its pod's) says about its process."""

    run_as_user: int | None = None
    run_as_group: int | None = None
    fs_group: int | None = None
    """The pod's: the group of its volumes, and a supplementary group of every process."""
    run_as_non_root: bool = False
    read_only_root_filesystem: bool = False
    no_new_privileges: bool = False
    """``allowPrivilegeEscalation: false``: the kernel's no_new_privs flag."""
    dropped_capabilities: tuple[str, ...] = ()

    @classmethod
    def of(cls, pod: Mapping[str, Any], container: Mapping[str, Any]) -> SecurityPlan:
        pod_context = pod.get("securityContext", {})
        context = {**pod_context, **container.get("securityContext", {})}
        for key in ("seLinuxOptions", "windowsOptions", "appArmorProfile", "procMount"):
            assert key not in context, f"securityContext.{key} is not emulated"
        return cls(
            run_as_user=context.get("runAsUser"),
            run_as_group=context.get("runAsGroup"),
            fs_group=pod_context.get("fsGroup"),
            run_as_non_root=bool(context.get("runAsNonRoot", False)),
            read_only_root_filesystem=bool(context.get("readOnlyRootFilesystem", False)),
            no_new_privileges=context.get("allowPrivilegeEscalation") is False,
            dropped_capabilities=tuple(context.get("capabilities", {}).get("drop", ())),
        )


@dataclass(frozen=True)
class PodPlan:
    """One workload's pod template, reduced to what starting its processes needs."""

    kind: Literal["Deployment", "Job", "StatefulSet"]
    workload: str
    component: str
    instance: str
    replicas: int
    restart_policy: str
    labels: Mapping[str, str]
    image: str
    args: tuple[str, ...]
    env: Mapping[str, str]
    """The container's literal env values, in order (``$(VAR)`` references unexpanded)."""
    ports: Mapping[str, int]
    conf_files: Mapping[str, str]
    """File name in the mount -> content: the ConfigMap items the volume lists (Flink: the
    volume at /opt/flink/conf; ZooKeeper: the ConfigMap volume at ``conf_mount``)."""
    mounts: Mapping[str, str] = field(default_factory=dict)
    """The container's emptyDir mounts: mountPath -> volume name."""
    init_containers: tuple[InitPlan, ...] = ()
    command: tuple[str, ...] = ()
    """The container's ``command`` (replaces the image's entrypoint); Flink pods have none."""
    field_env: Mapping[str, str] = field(default_factory=dict)
    """env entries from the downward API: name -> fieldRef.fieldPath."""
    env_order: tuple[str, ...] = ()
    """Every env name (literal and fieldRef) in the container's order."""
    claims: Mapping[str, str] = field(default_factory=dict)
    """persistentVolumeClaim mounts: mountPath -> claimName (one volume, shared by every pod
    that names the claim)."""
    claim_templates: Mapping[str, str] = field(default_factory=dict)
    """StatefulSet volumeClaimTemplate mounts: mountPath -> template name (a claim per pod)."""
    conf_mount: str = CONF_DIR
    """Where the ConfigMap with ``conf_files`` is mounted."""
    namespace: str = "default"
    service_name: str = ""
    """A StatefulSet's governing Service: its pods are ``<pod>.<service_name>.<namespace>.svc``."""
    security: SecurityPlan = field(default_factory=lambda: SecurityPlan())
    """The main container's securityContext, merged with the pod's."""

    @property
    def deployment(self) -> str:
        """The workload's name (kept for callers written when only Deployments existed)."""
        return self.workload

    @property
    def runs_to_completion(self) -> bool:
        """A Job's pod completes (exit 0); a Deployment's or StatefulSet's runs until stopped."""
        return self.kind == "Job"

    @property
    def runtime(self) -> Literal["flink", "zookeeper"]:
        return "zookeeper" if self.image.startswith(ZOOKEEPER_IMAGE) else "flink"


@dataclass(frozen=True)
class ServicePlan:
    name: str
    selector: Mapping[str, str]
    ports: tuple[tuple[int, int | str], ...]
    """(port, targetPort) pairs."""
    namespace: str = "default"
    headless: bool = False
    """clusterIP None: the name resolves to the pods themselves, and a StatefulSet governed
    by it gets a DNS name per pod."""


def _by_kind(objects: Iterable[Mapping[str, Any]], kind: str) -> list[Mapping[str, Any]]:
    return [o for o in objects if o.get("kind") == kind]


def _workloads(objects: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    found = [*_by_kind(objects, "Deployment"), *_by_kind(objects, "Job"), *_by_kind(objects, "StatefulSet")]
    for workload in _by_kind(objects, "Job"):
        assert workload.get("apiVersion") == "batch/v1", workload.get("apiVersion")
    for workload in _by_kind(objects, "StatefulSet"):
        assert workload.get("apiVersion") == "apps/v1", workload.get("apiVersion")
    return found


def pod_plans(objects: Sequence[Mapping[str, Any]]) -> list[PodPlan]:
    """The pods of the Deployments, Jobs and StatefulSets: Flink pods with the ConfigMap volume
    mounted at /opt/flink/conf, ZooKeeper pods with theirs where their command reads it."""
    config_maps = {o["metadata"]["name"]: o for o in _by_kind(objects, "ConfigMap")}
    plans = []
    for workload in _workloads(objects):
        name = workload["metadata"]["name"]
        template = workload["spec"]["template"]
        pod = template["spec"]
        (container,) = pod["containers"]
        zookeeper = container["image"].startswith(ZOOKEEPER_IMAGE)
        if zookeeper:
            assert container.get("command"), f"{name}: a ZooKeeper container runs its rendered command"
        else:
            assert "command" not in container, f"{name}: a command would bypass the image's entrypoint"
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        for volume in volumes.values():
            if not {"configMap", "emptyDir", "persistentVolumeClaim"} & set(volume):
                raise NotImplementedError(
                    f"{name}: volume {volume['name']}: only configMap, emptyDir and persistentVolumeClaim")
        templates = {t["metadata"]["name"] for t in workload["spec"].get("volumeClaimTemplates", [])}
        assert not templates & set(volumes), f"{name}: a claim template and a volume share a name"
        config_mounts = [
            m for m in container.get("volumeMounts", []) if "configMap" in volumes.get(m["name"], {})
        ]
        if zookeeper:
            assert len(config_mounts) == 1, f"{name}: no single ConfigMap volume"
            conf_mount = config_mounts[0]["mountPath"]
        else:
            conf_mount = CONF_DIR
            config_mounts = [m for m in config_mounts if m["mountPath"] == CONF_DIR]
            assert len(config_mounts) == 1, f"{name}: no single volume at {CONF_DIR}"
        assert config_mounts[0].get("readOnly", False), f"the {conf_mount} mount should be read-only"
        volume = volumes[config_mounts[0]["name"]]
        data = config_maps[volume["configMap"]["name"]]["data"]
        items = volume["configMap"].get("items") or [{"key": k, "path": k} for k in data]
        env: dict[str, str] = {}
        field_env: dict[str, str] = {}
        for entry in container.get("env", []):
            if "value" in entry:
                env[entry["name"]] = str(entry["value"])
                continue
            field_path = entry.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath")
            assert field_path in FIELD_PATHS, (
                f"env {entry['name']}: only literal values and the fieldRefs {FIELD_PATHS} are emulated")
            field_env[entry["name"]] = field_path
        assert "envFrom" not in container, f"{name}: envFrom is not emulated"
        restart_policy = pod.get("restartPolicy", "Always")
        if workload["kind"] == "Job":
            assert restart_policy in ("OnFailure", "Never"), f"{name}: restartPolicy {restart_policy}"
            replicas = workload["spec"].get("parallelism", 1)
        else:
            replicas = workload["spec"].get("replicas", 1)
        mounts, claims, claim_templates = _volume_mounts(name, container, volumes, templates, conf_mount)
        plans.append(PodPlan(
            kind=workload["kind"],
            workload=name,
            component=template["metadata"]["labels"][COMPONENT_LABEL],
            instance=template["metadata"]["labels"].get(INSTANCE_LABEL, ""),
            replicas=replicas,
            restart_policy=restart_policy,
            labels=template["metadata"]["labels"],
            image=container["image"],
            args=tuple(container.get("args", ())),
            env=env,
            ports={p["name"]: p["containerPort"] for p in container.get("ports", [])},
            conf_files={item["path"]: data[item["key"]] for item in items},
            mounts=mounts,
            init_containers=tuple(
                InitPlan(
                    name=init["name"],
                    image=init["image"],
                    command=(*init.get("command", ()), *init.get("args", ())),
                    mounts=_empty_dir_mounts(f"{name}/{init['name']}", init, volumes),
                    security=SecurityPlan.of(pod, init),
                )
                for init in pod.get("initContainers", [])
            ),
            command=tuple(container.get("command", ())),
            field_env=field_env,
            env_order=tuple(e["name"] for e in container.get("env", [])),
            claims=claims,
            claim_templates=claim_templates,
            conf_mount=conf_mount,
            namespace=workload["metadata"].get("namespace", "default"),
            service_name=workload["spec"].get("serviceName", "") if workload["kind"] == "StatefulSet" else "",
            security=SecurityPlan.of(pod, container),
        ))
    return plans


def _volume_mounts(
    where: str,
    container: Mapping[str, Any],
    volumes: Mapping[str, Mapping[str, Any]],
    templates: set[str],
    conf_mount: str,
) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """(emptyDir mounts, persistentVolumeClaim mounts, claim template mounts) of a container."""
    empty_dirs, claims, claim_templates = {}, {}, {}
    for mount in container.get("volumeMounts", []):
        if mount.get("subPath") or mount.get("subPathExpr"):
            raise NotImplementedError(f"{where}: subPath mounts are not emulated")
        if mount["name"] in templates:
            claim_templates[mount["mountPath"]] = mount["name"]
            continue
        volume = volumes[mount["name"]]
        if "configMap" in volume:
            assert mount["mountPath"] == conf_mount, f"{where}: a ConfigMap is only emulated at {conf_mount}"
        elif "persistentVolumeClaim" in volume:
            claims[mount["mountPath"]] = volume["persistentVolumeClaim"]["claimName"]
        else:
            empty_dirs[mount["mountPath"]] = mount["name"]
    return empty_dirs, claims, claim_templates


def _empty_dir_mounts(
    where: str, container: Mapping[str, Any], volumes: Mapping[str, Mapping[str, Any]]
) -> dict[str, str]:
    mounts = {}
    for mount in container.get("volumeMounts", []):
        volume = volumes[mount["name"]]
        if "configMap" in volume:
            assert mount["mountPath"] == CONF_DIR, f"{where}: a ConfigMap is only emulated at {CONF_DIR}"
            continue
        if "persistentVolumeClaim" in volume:
            raise NotImplementedError(f"{where}: an init container's claim mounts are not emulated")
        if mount.get("subPath") or mount.get("subPathExpr"):
            raise NotImplementedError(f"{where}: subPath mounts are not emulated")
        mounts[mount["mountPath"]] = mount["name"]
    return mounts


def expand_references(text: str, variables: Mapping[str, str]) -> str:
    """Kubernetes' ``$(VAR)`` expansion in command, args and env values: a defined variable's
    value; ``$$`` is a literal ``$``; an undefined reference stays as written."""
    out, index = [], 0
    while index < len(text):
        if text.startswith("$$", index):
            out.append("$")
            index += 2
        elif text.startswith("$(", index) and (close := text.find(")", index + 2)) != -1:
            name = text[index + 2:close]
            out.append(variables[name] if name in variables else text[index:close + 1])
            index = close + 1
        else:
            out.append(text[index])
            index += 1
    return "".join(out)


def flat_config(conf_files: Mapping[str, str]) -> dict[str, str]:
    """The flat configuration in a conf dir's files, as plain strings (for picking rewrites)."""
    if "config.yaml" in conf_files and "flink-conf.yaml" not in conf_files:
        def flatten(prefix: str, value: object) -> Iterable[tuple[str, str]]:
            if isinstance(value, dict):
                for key, item in value.items():
                    yield from flatten(f"{prefix}.{key}" if prefix else str(key), item)
            else:
                yield prefix, str(value).lower() if isinstance(value, bool) else str(value)

        return dict(flatten("", yaml.safe_load(conf_files["config.yaml"]) or {}))
    values = {}
    for line in conf_files["flink-conf.yaml"].splitlines():  # Flink's legacy line format
        key, sep, value = line.split("#", 1)[0].partition(": ")
        if sep and key.strip():
            values[key.strip()] = value.strip()
    return values


def service_plans(objects: Sequence[Mapping[str, Any]]) -> list[ServicePlan]:
    return [
        ServicePlan(
            name=s["metadata"]["name"],
            selector=s["spec"]["selector"],
            ports=tuple((p["port"], p.get("targetPort", p["port"])) for p in s["spec"]["ports"]),
            namespace=s["metadata"].get("namespace", "default"),
            headless=s["spec"].get("clusterIP") == "None",
        )
        for s in _by_kind(objects, "Service")
    ]


