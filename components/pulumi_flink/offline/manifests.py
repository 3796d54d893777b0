"""Writing a render to disk: one YAML file per Kubernetes object, and a marker of what was written.

The renderer replaces an output folder only when it is new, empty, or a render of its own:
the marker file (``.pulumi-flink-render``) lists every file the render wrote with its SHA-256,
and the folder must hold exactly those files, unchanged. Anything else (a file, a FIFO, a
symbolic link, a folder with foreign or edited files, a folder holding the stack file, the
current folder, a Pulumi project or a git repository) is refused before anything is written.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from pulumi_flink.offline.strict_yaml import YamlFileError, load_documents, read_text

RENDER_MARKER = ".pulumi-flink-render"
"""The file in a render folder that lists what the render wrote (JSON)."""
WRITTEN_BY = "pulumi-flink render"
PROJECT_FILE = "Pulumi.yaml"
# A folder holding one of these is someone's project or repository, never a render.
_PROTECTED_NAMES = (PROJECT_FILE, ".git")
# What a render writes: <namespace>/<kind>-<name>.yaml, each part a Kubernetes-style name.
_SAFE_PART = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*\Z")


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


# --- what a folder holds --------------------------------------------------------------------


@dataclass
class FolderContents:
    """A folder's tree, read without following symbolic links."""

    files: dict[str, Path] = field(default_factory=dict)
    """Regular files by relative POSIX path."""
    strange: dict[str, str] = field(default_factory=dict)
    """Everything neither a regular file nor a folder, by relative path: what it is."""


def _kind_of(mode: int) -> str:
    if stat.S_ISREG(mode):
        return "a file"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def folder_contents(folder: Path) -> FolderContents:
    """Every entry under ``folder`` (iteratively: a deep tree is no recursion), links not followed."""
    contents = FolderContents()
    pending = [PurePosixPath()]
    while pending:
        relative = pending.pop()
        with os.scandir(folder / relative) as entries:
            for entry in entries:
                path = relative / entry.name
                mode = entry.stat(follow_symlinks=False).st_mode
                if stat.S_ISDIR(mode):
                    pending.append(path)
                elif stat.S_ISREG(mode):
                    contents.files[path.as_posix()] = Path(entry.path)
                else:
                    contents.strange[path.as_posix()] = _kind_of(mode)
    return contents


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def read_marker(folder: Path) -> dict[str, str] | None:
    """The files a render marker lists (relative path -> SHA-256); None if it is not one."""
    try:
        document = json.loads(read_text(folder / RENDER_MARKER, follow_symlinks=False))
    except (YamlFileError, ValueError):
        return None
    if not isinstance(document, dict) or document.get("writtenBy") != WRITTEN_BY:
        return None
    files = document.get("files")
    if not isinstance(files, dict):
        return None
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in files.items()):
        return None
    return files


def marker_text(files: Mapping[str, str]) -> str:
    return json.dumps({"writtenBy": WRITTEN_BY, "files": dict(sorted(files.items()))}, indent=2) + "\n"


def _listing(paths: Iterable[str], limit: int = 3) -> str:
    shown = sorted(paths)
    text = ", ".join(shown[:limit])
    return text + (f" and {len(shown) - limit} more" if len(shown) > limit else "")


def _foreign_content(folder: Path) -> str | None:
    """Why ``folder`` is not an empty folder or an unchanged render of this renderer; None if it is."""
    contents = folder_contents(folder)
    if contents.strange:
        first = sorted(contents.strange)[0]
        return f"it holds {first}, {contents.strange[first]}"
    if not contents.files:
        return None
    listed = read_marker(folder) if RENDER_MARKER in contents.files else None
    if listed is None:
        return f"pulumi-flink render did not write it (no valid {RENDER_MARKER}); it holds " + _listing(
            contents.files
        )
    foreign = set(contents.files) - set(listed) - {RENDER_MARKER}
    if foreign:
        return "it holds files that pulumi-flink render did not write: " + _listing(foreign)
    edited = [p for p in contents.files if p in listed and _sha256(contents.files[p]) != listed[p]]
    if edited:
        return "files were changed since they were rendered: " + _listing(edited)
    return None


def _is_within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _refusal(out_dir: Path, protected: Collection[Path]) -> str | None:
    """Why ``out_dir`` must not be replaced by a render; None if it may be."""
    if os.path.islink(out_dir):
        return "it is a symbolic link"
    target = out_dir.resolve()
    if target == Path(target.anchor):
        return "it is the root folder"
    if ".git" in target.parts:
        return "it is inside a git repository's .git folder"
    if _is_within(Path.cwd(), target):
        return "it is the current folder or holds it"
    for path in protected:
        if _is_within(path.resolve(), target):
            return f"it holds {path}, an input of this render"
    if not os.path.lexists(out_dir):
        return None
    if not out_dir.is_dir():
        return f"it is {_kind_of(os.lstat(out_dir).st_mode)}, not a folder"
    for name in _PROTECTED_NAMES:
        if os.path.lexists(out_dir / name):
            return f"it holds {name}: a Pulumi project or a git repository"
    return _foreign_content(out_dir)


def _check_relative_path(relative: Path) -> str:
    """``relative`` as a POSIX path, if it stays one plain file inside the render folder."""
    if relative.is_absolute() or not all(_SAFE_PART.match(part) for part in relative.parts):
        raise OutputDirError(f"an object would be written to {str(relative)!r}, outside a plain file name")
    return relative.as_posix()


# --- writing --------------------------------------------------------------------------------


def _write_text(path: Path, text: str) -> None:
    """A new file (never through an existing one, nor a link planted in its place)."""
    with path.open("x", encoding="utf-8", newline="") as handle:
        handle.write(text)


def _make_parents(folder: Path) -> list[Path]:
    """Create ``folder`` and its missing ancestors; the ones created, deepest first."""
    missing = []
    while not os.path.lexists(folder):
        missing.append(folder)
        if folder.parent == folder:
            break
        folder = folder.parent
    for created in reversed(missing):
        created.mkdir()
    return missing


def _clean_up(staging: Path | None, created: Iterable[Path]) -> None:
    """After a failure: the staging folder, then the parents this write created (if still empty)."""
    if staging is not None:
        shutil.rmtree(staging, ignore_errors=True)
    for folder in created:
        with contextlib.suppress(OSError):
            folder.rmdir()


def _swap_in(staging: Path, out_dir: Path) -> None:
    """Put ``staging`` in the place of ``out_dir``; an earlier render there is moved aside first,
    checked again (it may have changed since), and only then deleted."""
    if not os.path.lexists(out_dir):
        os.rename(staging, out_dir)  # refuses, rather than replaces, anything created meanwhile
        return
    aside = Path(tempfile.mkdtemp(prefix=f".{out_dir.name[:64]}-previous-", dir=out_dir.parent))
    previous = aside / "render"
    try:
        os.rename(out_dir, previous)
    except BaseException:
        aside.rmdir()
        raise
    try:
        reason = _foreign_content(previous)
        if reason is not None:
            raise OutputDirError(f"refusing to replace {out_dir}: it changed while rendering: {reason}")
        os.rename(staging, out_dir)
    except BaseException:
        os.rename(previous, out_dir)
        aside.rmdir()
        raise
    shutil.rmtree(aside)


def _os_error_text(exc: OSError) -> str:
    text = exc.strerror or str(exc)
    if exc.errno == errno.ENAMETOOLONG:
        text = "a file name or path is too long"
    return f"{text}: {exc.filename}" if exc.filename else text


def write_manifests(
    objects: Iterable[Mapping[str, Any]], out_dir: Path, protected: Collection[Path] = ()
) -> list[Path]:
    """Replace ``out_dir`` with the objects and a marker, written to a staging folder first.

    ``protected``: inputs of the render (the stack file) that ``out_dir`` must not hold.
    Raises ``OutputDirError``, with nothing changed on disk, when ``out_dir`` is not this
    renderer's to replace or cannot be written.
    """
    out_dir = Path(out_dir)
    if "\0" in str(out_dir) or not str(out_dir):
        raise OutputDirError(f"{str(out_dir)!r} is not a folder name")
    texts: dict[str, str] = {}
    for obj in objects:
        relative = _check_relative_path(object_relative_path(obj))
        if relative in texts:
            raise OutputDirError(f"two objects would both be written to {relative}")
        texts[relative] = dump_yaml(obj)
    created: list[Path] = []
    staging: Path | None = None
    try:
        reason = _refusal(out_dir, protected)
        if reason is not None:
            raise OutputDirError(
                f"refusing to replace {out_dir}: {reason}. The renderer replaces only a folder it "
                "rendered itself; choose a new or empty folder, or remove this one yourself"
            )
        created = _make_parents(out_dir.parent)
        staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name[:64]}-", dir=out_dir.parent))
        checksums = {}
        for relative, text in texts.items():
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            _write_text(target, text)
            checksums[relative] = hashlib.sha256(text.encode("utf-8")).hexdigest()
        _write_text(staging / RENDER_MARKER, marker_text(checksums))
        _swap_in(staging, out_dir)
    except OSError as exc:
        _clean_up(staging, created)
        raise OutputDirError(f"cannot write the render to {out_dir}: {_os_error_text(exc)}") from None
    except BaseException:
        _clean_up(staging, created)
        raise
    return sorted(out_dir / relative for relative in texts)


def load_manifests(out_dir: Path) -> list[dict[str, Any]]:
    """Every object of a render folder (the marker and other non-YAML files left out)."""
    objects: list[dict[str, Any]] = []
    contents = folder_contents(Path(out_dir))
    for relative in sorted(contents.files):
        if relative.endswith(".yaml"):
            objects += load_documents(contents.files[relative], follow_symlinks=False)
    return objects
