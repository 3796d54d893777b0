"""``pulumi-flink diff``: compare two offline renders object by object, as Markdown for a
pull request.

Three steps, each a pure function of its input:

    load_render(folder)               -> {ObjectKey: manifest}   (a folder `render` wrote)
    diff_renders(base, head, options) -> [ObjectChange]          (fields and marks)
    to_markdown(changes, title)       -> str

A mark says what applying a change does beyond an in-place update: **replace** (Pulumi
deletes the object and creates it again) or **restart** (the pods of a Deployment,
StatefulSet or DaemonSet roll). Objects are identified by kind, namespace and name, so a
renamed object is one removed and one added.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import stat
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from pulumi_flink.model.naming import (
    CONFIG_CHECKSUM_ANNOTATION,
    DEPLOYMENT_MODE_ANNOTATION,
    JOB_CHECKSUM_ANNOTATION,
)
from pulumi_flink.offline.manifests import RENDER_MARKER, folder_contents, object_relative_path
from pulumi_flink.offline.renderer import REDACTED
from pulumi_flink.offline.strict_yaml import YamlFileError, load_documents
from pulumi_flink.resources.workloads import REPLACE_ON_MODE_CHANGE

DEFAULT_TITLE = "pulumi-flink diff"
SECRET_NOTE = (
    f"Secret values are not rendered (`{REDACTED}`), so a changed secret value shows no difference here."
)


class RenderDirError(Exception):
    """A folder that is missing or not a render of ``pulumi-flink render``."""


REVIEW_MARKER = "<!-- pulumi-flink diff -->"
"""The first line of a review ``diff --out`` writes (and of the example workflow's comment): how
a later run knows the file is its own to replace."""


class ReviewFileError(Exception):
    """An ``--out`` path the diff may not write: nothing was written."""


def review_file_refusal(path: Path, renders: Sequence[Path]) -> str | None:
    """Why ``path`` may not receive a review, or None: a new file, or one an earlier review wrote.

    Never through a link, never into a render folder (the next diff would read it as an object),
    never over a file that does not start with ``REVIEW_MARKER``."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and stat.S_ISLNK(mode):
        return f"{path} is a symbolic link; give the path of a regular file"
    if mode is not None and not stat.S_ISREG(mode):
        return f"{path} is not a regular file"
    target = path.parent.resolve() / path.name
    for render in renders:
        if render.resolve() in target.parents:
            return f"{path} lies inside the render folder {render}; write the review outside it"
    if mode is not None:
        with path.open("rb") as handle:
            first = handle.readline(len(REVIEW_MARKER) + 2)
        if first.rstrip(b"\r\n") != REVIEW_MARKER.encode():
            return (
                f"{path} exists and was not written by pulumi-flink diff (its first line is not "
                f"{REVIEW_MARKER}); choose a new file or remove it"
            )
    return None


def write_review(path: Path, markdown: str, renders: Sequence[Path]) -> None:
    """Write the review to ``path`` after ``REVIEW_MARKER``, or raise ``ReviewFileError`` having
    written nothing. ``O_NOFOLLOW``: a link put there after the check is refused, not followed."""
    refusal = review_file_refusal(path, renders)
    if refusal:
        raise ReviewFileError(refusal)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o666)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(f"{REVIEW_MARKER}\n{markdown}")


# --- loading ------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class ObjectKey:
    """What identifies a Kubernetes object across two renders (the apiVersion may change)."""

    namespace: str
    kind: str
    name: str

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace else self.name


def object_key(obj: Mapping[str, Any]) -> ObjectKey:
    meta = obj.get("metadata") or {}
    return ObjectKey(str(meta.get("namespace") or ""), str(obj["kind"]), str(meta["name"]))


def _is_object(doc: Any) -> bool:
    return (
        isinstance(doc, dict)
        and isinstance(doc.get("apiVersion"), str)
        and isinstance(doc.get("kind"), str)
        and isinstance(doc.get("metadata"), dict)
        and isinstance(doc["metadata"].get("name"), str)
        and isinstance(doc["metadata"].get("namespace") or "", str)
    )


def load_render(folder: Path) -> dict[ObjectKey, dict[str, Any]]:
    """The objects of a render folder: one object per ``<namespace>/<kind>-<name>.yaml`` file.

    An empty folder stands for no objects (e.g. a stack the base commit does not have yet).
    The render marker is not an object (and renders of older versions have none); links,
    FIFOs and other non-files are refused, never followed or read.
    """
    folder = Path(folder)
    if not folder.exists():
        raise RenderDirError(f"{folder}: no such folder")
    if not folder.is_dir():
        raise RenderDirError(f"{folder}: not a folder")
    try:
        contents = folder_contents(folder)
    except OSError as exc:
        raise RenderDirError(f"{folder}: cannot read: {exc.strerror}: {exc.filename}") from None
    if contents.strange:
        first = sorted(contents.strange)[0]
        raise RenderDirError(
            f"{folder} is not a render folder: {first} is {contents.strange[first]}, not a manifest"
        )
    objects: dict[ObjectKey, dict[str, Any]] = {}
    for name in sorted(set(contents.files) - {RENDER_MARKER}):
        path, relative = contents.files[name], Path(name)
        if path.suffix != ".yaml":
            raise RenderDirError(
                f"{folder} is not a render folder: {relative} is not a YAML manifest "
                "(render with `pulumi-flink render --out DIR`)"
            )
        try:
            docs = load_documents(path, follow_symlinks=False)
        except YamlFileError as exc:
            raise RenderDirError(str(exc)) from None
        if len(docs) != 1 or not _is_object(docs[0]):
            raise RenderDirError(
                f"{path}: not a rendered Kubernetes object (one per file, with apiVersion, kind, "
                "metadata.name)"
            )
        obj: dict[str, Any] = docs[0]
        expected = object_relative_path(obj)
        if expected != relative:
            raise RenderDirError(
                f"{folder} is not a render folder: {relative} holds {obj['kind']} "
                f"{obj['metadata']['name']}, which a render writes to {expected}"
            )
        key = object_key(obj)
        if key in objects:
            raise RenderDirError(f"{folder}: {key.kind} {key} appears twice")
        objects[key] = obj
    return objects


# --- fields -------------------------------------------------------------------------------


class _Absent:
    """A value that is not there: the field was added or removed."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Final = _Absent()


@dataclass(frozen=True)
class Item:
    """A list item in a field path: by its ``name`` when every item has a unique one, else by
    position."""

    label: str


Segment = str | Item
FieldPath = tuple[Segment, ...]

_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")


def format_path(path: FieldPath) -> str:
    """``spec.template.spec.containers[jobmanager].image``; a map key that is not a plain
    identifier goes in brackets and quotes, ``metadata.annotations["flink.pulumi.com/x"]``
    (the form of Pulumi's property paths, e.g. in ``replaceOnChanges``)."""
    text = ""
    for segment in path:
        if isinstance(segment, Item):
            text += f"[{segment.label}]"
        elif _PLAIN_KEY.match(segment):
            text += f".{segment}" if text else segment
        else:
            text += f"[{json.dumps(segment, ensure_ascii=False)}]"
    return text


@dataclass(frozen=True)
class FieldChange:
    """One changed field. ``old``/``new`` are ``ABSENT`` for an added/removed field;
    ``reordered``: the named items of a list kept their content but changed order
    (``old``/``new`` are then the names)."""

    path: FieldPath
    old: Any
    new: Any
    reordered: bool = False

    @property
    def text(self) -> str:
        return format_path(self.path)

    @property
    def multiline(self) -> bool:
        return any(isinstance(v, str) and "\n" in v for v in (self.old, self.new))


def _same_scalar(old: Any, new: Any) -> bool:
    # Strict: YAML's `true` is not `1`, `"2"` is not `2`.
    return type(old) is type(new) and old == new


def _item_names(items: Sequence[Any]) -> list[str] | None:
    names = [item.get("name") if isinstance(item, dict) else None for item in items]
    if all(isinstance(n, str) for n in names) and len(set(names)) == len(names):
        return [str(n) for n in names]
    return None


def diff_values(old: Any, new: Any, path: FieldPath = ()) -> Iterator[FieldChange]:
    """Every changed leaf between two values, in the order of ``new`` (removed keys last)."""
    if isinstance(old, dict) and isinstance(new, dict):
        keys = [*new, *(k for k in old if k not in new)]
        for key in keys:
            yield from diff_values(old.get(key, ABSENT), new.get(key, ABSENT), (*path, str(key)))
    elif isinstance(old, list) and isinstance(new, list):
        yield from _diff_lists(old, new, path)
    elif not _same_scalar(old, new):
        yield FieldChange(path, old, new)


def _diff_lists(old: list[Any], new: list[Any], path: FieldPath) -> Iterator[FieldChange]:
    old_names, new_names = _item_names(old), _item_names(new)
    if old_names is not None and new_names is not None:
        old_by_name = dict(zip(old_names, old, strict=True))
        new_by_name = dict(zip(new_names, new, strict=True))
        kept_old = [n for n in old_names if n in new_by_name]
        kept_new = [n for n in new_names if n in old_by_name]
        if kept_old != kept_new:
            yield FieldChange(path, kept_old, kept_new, reordered=True)
        for name in [*new_names, *(n for n in old_names if n not in new_by_name)]:
            yield from diff_values(
                old_by_name.get(name, ABSENT), new_by_name.get(name, ABSENT), (*path, Item(name))
            )
        return
    for index in range(max(len(old), len(new))):
        yield from diff_values(
            old[index] if index < len(old) else ABSENT,
            new[index] if index < len(new) else ABSENT,
            (*path, Item(str(index))),
        )


# --- marks --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mark:
    kind: Literal["replace", "restart"]
    reason: str


@dataclass(frozen=True)
class DiffOptions:
    """The pulumi-kubernetes provider options that decide whether a ConfigMap's or a Secret's
    data updates in place (both off by default, as in the provider)."""

    configmap_mutable: bool = False
    secret_mutable: bool = False


@dataclass(frozen=True)
class Immutable:
    """A field whose change cannot be applied in place. ``by_pulumi``: in pulumi-kubernetes'
    own list, so ``pulumi up`` replaces the object; otherwise Kubernetes refuses the update
    and ``pulumi up`` fails unless the object is replaced. ``mutable``: for a rule on a whole
    subtree, the paths in it that may change. ``api_versions``: only for these versions."""

    kinds: tuple[str, ...]
    path: str
    by_pulumi: bool
    mutable: tuple[str, ...] = ()
    api_versions: tuple[str, ...] = ()


# Fields whose change forces a replacement, for the kinds pulumi-flink renders and their
# siblings. Learned from (not copied from):
#   - pulumi/pulumi-kubernetes provider/pkg/provider/diff.go (`forceNew`, `forceNewProperties`,
#     last changed in eaf47e8830cf0cbece4eee61ea8eb49998aeb92c): Deployment/DaemonSet
#     .spec.selector; StatefulSet .spec.podManagementPolicy, .revisionHistoryLimit, .selector,
#     .serviceName, .volumeClaimTemplates; Job .spec.completions, .parallelism, .selector,
#     .template; Service .spec.clusterIP; PersistentVolumeClaim .spec.accessModes, .selector,
#     .storageClassName, .volumeName; (Cluster)RoleBinding .roleRef; PodDisruptionBudget .spec
#     only in policy/v1beta1; Secret .type; ConfigMap .data/.binaryData and Secret
#     .data/.stringData unless the provider sets enableConfigMapMutable/enableSecretMutable
#     (default off, provider/pkg/provider/provider.go), and always when `immutable: true`;
#     and .metadata.name/.namespace (here: removed + added). ServiceAccount and Role: none.
#   - Kubernetes' update validation (the API server refuses these in place): StatefulSet spec
#     fields other than replicas, ordinals, template, updateStrategy,
#     persistentVolumeClaimRetentionPolicy, minReadySeconds; Job .spec.completionMode,
#     .podFailurePolicy, .backoffLimitPerIndex, .successPolicy, .managedBy; Service
#     .spec.clusterIPs; PersistentVolumeClaim spec except resources.requests and
#     volumeAttributesClassName; ReplicaSet .spec.selector; the data of an immutable ConfigMap
#     or Secret, and its `immutable` once true.
# A Service's type change to or from ExternalName is not listed: Kubernetes allows it in place
# (it is the one case where clusterIP may change) and pulumi-kubernetes does not replace for it;
# a change of .spec.clusterIP that comes with it is a replacement by the clusterIP rule.
IMMUTABLE_FIELDS: Final[tuple[Immutable, ...]] = (
    Immutable(("Deployment", "DaemonSet", "StatefulSet", "Job"), "spec.selector", True),
    Immutable(("ReplicaSet",), "spec.selector", False),
    Immutable(("StatefulSet",), "spec.serviceName", True),
    Immutable(("StatefulSet",), "spec.volumeClaimTemplates", True),
    Immutable(("StatefulSet",), "spec.podManagementPolicy", True),
    Immutable(("StatefulSet",), "spec.revisionHistoryLimit", True),
    Immutable(
        ("StatefulSet",),
        "spec",
        False,
        mutable=(
            "spec.replicas",
            "spec.ordinals",
            "spec.template",
            "spec.updateStrategy",
            "spec.persistentVolumeClaimRetentionPolicy",
            "spec.minReadySeconds",
        ),
    ),
    Immutable(("Job",), "spec.template", True),
    Immutable(("Job",), "spec.completions", True),
    Immutable(("Job",), "spec.parallelism", True),
    Immutable(("Job",), "spec.completionMode", False),
    Immutable(("Job",), "spec.podFailurePolicy", False),
    Immutable(("Job",), "spec.backoffLimitPerIndex", False),
    Immutable(("Job",), "spec.successPolicy", False),
    Immutable(("Job",), "spec.managedBy", False),
    Immutable(("Service",), "spec.clusterIP", True),
    Immutable(("Service",), "spec.clusterIPs", False),
    Immutable(("PersistentVolumeClaim",), "spec.accessModes", True),
    Immutable(("PersistentVolumeClaim",), "spec.selector", True),
    Immutable(("PersistentVolumeClaim",), "spec.storageClassName", True),
    Immutable(("PersistentVolumeClaim",), "spec.volumeName", True),
    Immutable(
        ("PersistentVolumeClaim",),
        "spec",
        False,
        mutable=("spec.resources.requests", "spec.volumeAttributesClassName"),
    ),
    Immutable(("RoleBinding", "ClusterRoleBinding"), "roleRef", True),
    Immutable(("PodDisruptionBudget",), "spec", True, api_versions=("policy/v1beta1",)),
    Immutable(("Secret",), "type", True),
)

_DATA_FIELDS: Final = {"ConfigMap": ("data", "binaryData"), "Secret": ("data", "stringData")}
_PROVIDER_OPTION: Final = {"ConfigMap": "enableConfigMapMutable", "Secret": "enableSecretMutable"}
RESTART_KINDS: Final = ("Deployment", "StatefulSet", "DaemonSet")
_TEMPLATE: Final = ("spec", "template")
_CHECKSUM_REASONS: Final = {
    CONFIG_CHECKSUM_ANNOTATION: "Flink configuration changed",
    JOB_CHECKSUM_ANNOTATION: "the submitted job changed",
}


def _split(dotted: str) -> tuple[str, ...]:
    return tuple(dotted.split("."))


def _overlaps(path: FieldPath, rule: Sequence[str]) -> bool:
    """The change at ``path`` touches the field ``rule``: at it, under it or above it."""
    size = min(len(path), len(rule))
    return path[:size] == tuple(rule[:size])


def _under(path: FieldPath, prefix: Sequence[str]) -> bool:
    return len(path) >= len(prefix) and path[: len(prefix)] == tuple(prefix)


def _code(text: str) -> str:
    """Markdown inline code that survives backticks in ``text``."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _annotation(obj: Mapping[str, Any] | None, key: str) -> Any:
    if not obj:
        return None
    return ((obj.get("metadata") or {}).get("annotations") or {}).get(key)


def _immutable(obj: Mapping[str, Any]) -> bool:
    return obj.get("immutable") is True


_PROPERTY_PATH_PART = re.compile(r'\.?([A-Za-z_][A-Za-z0-9_-]*)|\[("(?:[^"\\]|\\.)*")\]')


def parse_property_path(text: str) -> tuple[str, ...]:
    """A Pulumi property path of map keys (``metadata.annotations["a.b/c"]``) as segments."""
    segments: list[str] = []
    position = 0
    if not text:
        raise ValueError("an empty property path")
    while position < len(text):
        match = _PROPERTY_PATH_PART.match(text, position)
        if match is None or (position == 0 and match.group(0).startswith(".")):
            raise ValueError(f"not a property path of map keys: {text!r}")
        segments.append(match.group(1) if match.group(1) is not None else json.loads(match.group(2)))
        position = match.end()
    return tuple(segments)


# The library's own replaceOnChanges on the JobManager workload, the one object carrying the
# deployment-mode annotation.
LIBRARY_REPLACE_ON_CHANGES: Final = tuple(parse_property_path(p) for p in REPLACE_ON_MODE_CHANGE)


def _value_at(obj: Any, path: Sequence[str]) -> Any:
    for key in path:
        if not isinstance(obj, Mapping) or key not in obj:
            return ABSENT
        obj = obj[key]
    return obj


def _shown(value: Any) -> str:
    return "*(none)*" if value is ABSENT else _code(str(value))


def _library_reasons(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """Compared by value, so an annotation map added as a whole counts as well."""
    if (
        _annotation(old, DEPLOYMENT_MODE_ANNOTATION) is None
        and _annotation(new, DEPLOYMENT_MODE_ANNOTATION) is None
    ):
        return []
    reasons = []
    for path in LIBRARY_REPLACE_ON_CHANGES:
        before, after = _value_at(old, path), _value_at(new, path)
        if next(diff_values(before, after), None) is None:
            continue
        what = "Flink deployment mode" if path[-1] == DEPLOYMENT_MODE_ANNOTATION else _code(format_path(path))
        change = f"{what} {_shown(before)} → {_shown(after)}"
        reasons.append(f"{change}: pulumi-flink replaces the JobManager (replaceOnChanges)")
    return reasons


def _data_reason(
    kind: str, change: FieldChange, old: Mapping[str, Any], new: Mapping[str, Any], options: DiffOptions
) -> str | None:
    if kind not in _DATA_FIELDS:
        return None
    head = change.path[0] if change.path else None
    if head == "immutable" and _immutable(old):
        return f"`immutable` cannot be unset once true: Kubernetes refuses the update of the {kind}"
    if head not in _DATA_FIELDS[kind]:
        return None
    if _immutable(old) or _immutable(new):
        return f"`{head}` of an immutable {kind} changed (pulumi-kubernetes replaces)"
    mutable = options.configmap_mutable if kind == "ConfigMap" else options.secret_mutable
    if not mutable:
        return (
            f"`{head}` changed: pulumi-kubernetes replaces a {kind} unless the provider sets "
            f"{_PROVIDER_OPTION[kind]}"
        )
    return None


def _immutable_reason(kind: str, api_version: str, change: FieldChange) -> str | None:
    for rule in IMMUTABLE_FIELDS:
        if kind not in rule.kinds or (rule.api_versions and api_version not in rule.api_versions):
            continue
        rule_path = _split(rule.path)
        if not _overlaps(change.path, rule_path):
            continue
        if any(_under(change.path, _split(m)) for m in rule.mutable):
            continue
        named = change.text if rule.mutable else rule.path
        if rule.by_pulumi:
            return f"`{named}` cannot change in place (pulumi-kubernetes replaces)"
        return f"`{named}` is immutable in Kubernetes: `pulumi up` fails unless the {kind} is replaced"
    return None


def replace_reasons(
    kind: str,
    api_version: str,
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    fields: Sequence[FieldChange],
    options: DiffOptions = DiffOptions(),
) -> list[str]:
    reasons = _library_reasons(old, new)
    for change in fields:
        reason = _data_reason(kind, change, old, new, options) or _immutable_reason(kind, api_version, change)
        if reason and reason not in reasons:
            reasons.append(reason)
    return reasons


def restart_reasons(kind: str, fields: Sequence[FieldChange]) -> list[str]:
    """A change under ``spec.template`` rolls the pods of a Deployment, StatefulSet, DaemonSet."""
    if kind not in RESTART_KINDS:
        return []
    reasons: list[str] = []
    others: list[str] = []
    annotations = (*_TEMPLATE, "metadata", "annotations")
    for change in fields:
        if not _overlaps(change.path, _TEMPLATE):
            continue
        key = change.path[len(annotations)] if len(change.path) == len(annotations) + 1 else None
        if _under(change.path, annotations) and isinstance(key, str) and key in _CHECKSUM_REASONS:
            if _CHECKSUM_REASONS[key] not in reasons:
                reasons.append(_CHECKSUM_REASONS[key])
        else:
            others.append(change.text)
    if others:
        shown = ", ".join(_code(p) for p in others[:3])
        more = f" and {len(others) - 3} more" if len(others) > 3 else ""
        reasons.append(f"pod template changed: {shown}{more}")
    return reasons


# --- objects ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ObjectChange:
    key: ObjectKey
    status: Literal["added", "removed", "changed"]
    api_version: str
    fields: tuple[FieldChange, ...] = ()
    marks: tuple[Mark, ...] = ()

    @property
    def mark(self) -> str:
        """``replace``, ``restart`` or ``""`` (in place); a replacement re-creates the pods too."""
        kinds = {m.kind for m in self.marks}
        return "replace" if "replace" in kinds else "restart" if "restart" in kinds else ""


def diff_object(
    old: Mapping[str, Any], new: Mapping[str, Any], options: DiffOptions = DiffOptions()
) -> ObjectChange | None:
    fields = tuple(diff_values(old, new))
    if not fields:
        return None
    key = object_key(new)
    api_version = str(new.get("apiVersion", ""))
    replace = replace_reasons(key.kind, api_version, old, new, fields, options)
    if replace:
        marks = tuple(Mark("replace", r) for r in replace)
    else:
        marks = tuple(Mark("restart", r) for r in restart_reasons(key.kind, fields))
    return ObjectChange(key, "changed", api_version, fields, marks)


def diff_renders(
    base: Mapping[ObjectKey, Mapping[str, Any]],
    head: Mapping[ObjectKey, Mapping[str, Any]],
    options: DiffOptions = DiffOptions(),
) -> list[ObjectChange]:
    """Every added, removed and changed object, sorted by namespace, kind and name."""
    changes: list[ObjectChange] = []
    for key in sorted(set(base) | set(head)):
        if key not in base:
            changes.append(ObjectChange(key, "added", str(head[key].get("apiVersion", ""))))
        elif key not in head:
            changes.append(ObjectChange(key, "removed", str(base[key].get("apiVersion", ""))))
        else:
            change = diff_object(base[key], head[key], options)
            if change is not None:
                changes.append(change)
    return changes


def holds_placeholder(value: Any) -> bool:
    """Whether a value holds the renderer's secret placeholder anywhere."""
    if isinstance(value, Mapping):
        return any(holds_placeholder(v) for v in value.values())
    if isinstance(value, list):
        return any(holds_placeholder(v) for v in value)
    return isinstance(value, str) and value == REDACTED


# --- Markdown -----------------------------------------------------------------------------


def format_value(value: Any) -> str:
    """A value for a table cell: JSON, but the secret placeholder exactly as it is."""
    if value is ABSENT:
        return "*(absent)*"
    if isinstance(value, str) and value == REDACTED:
        text = REDACTED
    else:
        text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    return _code(text).replace("|", "\\|")


def _fence(text: str) -> str:
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def _text_lines(value: Any) -> list[str]:
    if value is ABSENT:
        return []
    if isinstance(value, str):
        return value.splitlines()
    return [json.dumps(value, ensure_ascii=False)]


def unified_diff(change: FieldChange) -> str:
    lines = difflib.unified_diff(
        _text_lines(change.old), _text_lines(change.new), "base", "head", lineterm="", n=3
    )
    body = "\n".join(lines)
    fence = _fence(body)
    return f"{fence}diff\n{body}\n{fence}"


def _summary_row(change: ObjectChange) -> str:
    mark = {"replace": "**replace**", "restart": "restart", "": ""}[change.mark]
    if change.status == "changed":
        why = "; ".join(m.reason for m in change.marks) or "in place"
    elif change.status == "added":
        why = "created"
    else:
        why = "deleted"
    cells = [change.status, change.key.kind, _code(str(change.key)), mark, why]
    return "| " + " | ".join(c.replace("\n", " ") for c in cells) + " |"


def _object_section(change: ObjectChange) -> list[str]:
    heading = f"#### {change.key.kind} {_code(str(change.key))}"
    lines = [f"{heading}: {change.mark}" if change.mark else f"{heading}: in place", ""]
    if change.marks:
        lines += [f"- **{m.kind}**: {m.reason}" for m in change.marks]
        lines.append("")
    table = [f for f in change.fields if not f.multiline]
    if table:
        lines += ["| Field | Base | Head |", "|---|---|---|"]
        for f in table:
            name = _code(f.text) + (" (order)" if f.reordered else "")
            old = _code(", ".join(f.old)) if f.reordered else format_value(f.old)
            new = _code(", ".join(f.new)) if f.reordered else format_value(f.new)
            lines.append(f"| {name.replace('|', chr(92) + '|')} | {old} | {new} |")
        lines.append("")
    for f in change.fields:
        if f.multiline:
            lines += [f"{_code(f.text)}:", "", unified_diff(f), ""]
    return lines


def to_markdown(changes: Sequence[ObjectChange], title: str = DEFAULT_TITLE, secrets: bool = False) -> str:
    """The review comment. ``secrets``: the renders hold secret placeholders (adds a note)."""
    if not changes:
        note = " (secret values are not compared)" if secrets else ""
        return f"### {title}: No changes{note}\n"
    changed = [c for c in changes if c.status == "changed"]
    added = [c for c in changes if c.status == "added"]
    removed = [c for c in changes if c.status == "removed"]
    replace = sum(c.mark == "replace" for c in changed)
    restart = sum(c.mark == "restart" for c in changed)
    lines = [
        f"### {title}",
        "",
        f"**{len(changed)} changed** ({replace} replace, {restart} restart, "
        f"{len(changed) - replace - restart} in place), **{len(added)} added**, "
        f"**{len(removed)} removed**",
        "",
        "| Change | Kind | Object | Mark | Why |",
        "|---|---|---|---|---|",
        *(_summary_row(c) for c in changes),
        "",
    ]
    if added and removed:
        lines += [
            "Removed + added: an object under a new name or namespace (e.g. a renamed cluster) is "
            "a different object, so Pulumi creates the new one and deletes the old one: a replacement.",
            "",
        ]
    for change in changed:
        lines += _object_section(change)
    if secrets:
        lines += [SECRET_NOTE, ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def diff_folders(
    base_dir: Path, head_dir: Path, title: str = DEFAULT_TITLE, options: DiffOptions = DiffOptions()
) -> tuple[list[ObjectChange], str]:
    """Load two render folders and compare them: the changes and their Markdown."""
    base, head = load_render(base_dir), load_render(head_dir)
    changes = diff_renders(base, head, options)
    secrets = any(holds_placeholder(obj) for render in (base, head) for obj in render.values())
    return changes, to_markdown(changes, title, secrets)
