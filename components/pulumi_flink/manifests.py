"""Writing a render to disk: one YAML file per Kubernetes object, nothing else."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml


class OutputDirError(Exception):
    pass


def object_file_name(obj: Mapping[str, Any]) -> str:
    meta = obj.get("metadata", {})
    return f"{str(obj.get('kind', 'object')).lower()}-{meta.get('name', 'unnamed')}.yaml"


def object_relative_path(obj: Mapping[str, Any]) -> Path:
    namespace = obj.get("metadata", {}).get("namespace") or "_cluster"
    return Path(namespace) / object_file_name(obj)


class _ManifestDumper(yaml.SafeDumper):
    """Multi-line strings (config files) as literal blocks, readable in a diff."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_ManifestDumper.add_representer(str, _represent_str)


def dump_yaml(obj: Mapping[str, Any]) -> str:
    return yaml.dump(
        dict(obj), Dumper=_ManifestDumper, sort_keys=False, default_flow_style=False, width=1 << 16
    )


def _is_previous_render(directory: Path) -> bool:
    return all(p.is_dir() or p.suffix == ".yaml" for p in directory.rglob("*"))


def write_manifests(objects: Iterable[Mapping[str, Any]], out_dir: Path) -> list[Path]:
    """Replace ``out_dir`` with the objects, written to a staging folder first.

    Refuses a folder holding anything but an earlier render (YAML files), so a
    mistyped ``--out`` never deletes someone's work.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and (not out_dir.is_dir() or not _is_previous_render(out_dir)):
        raise OutputDirError(
            f"{out_dir} holds files that are not rendered manifests; choose an empty or new folder"
        )
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    written = []
    try:
        for obj in objects:
            relative = object_relative_path(obj)
            target = staging / relative
            if target.exists():
                raise OutputDirError(f"two objects would both be written to {relative}")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(dump_yaml(obj))
            written.append(out_dir / relative)
        if out_dir.exists():
            shutil.rmtree(out_dir)
        staging.rename(out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return sorted(written)


def load_manifests(out_dir: Path) -> list[dict[str, Any]]:
    objects: list[dict[str, Any]] = []
    for path in sorted(Path(out_dir).rglob("*.yaml")):
        objects += [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    return objects
