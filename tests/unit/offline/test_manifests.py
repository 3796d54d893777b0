"""Writing a render: the renderer replaces only what it wrote itself, and fails without leftovers.

Every case builds its file system in tmp_path and compares a snapshot of the whole tree before
and after: a refused or failed write changes nothing at all.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pulumi_flink.offline import manifests
from pulumi_flink.offline.manifests import (
    RENDER_MARKER,
    OutputDirError,
    load_manifests,
    write_manifests,
)


def configmap(name: str, namespace: str = "flink", **data: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace},
        "data": data,
    }


OBJECTS = [configmap("a", x="1"), configmap("b", x="2"), configmap("c", namespace="other")]


def snapshot(root: Path) -> dict[str, Any]:
    """Every entry under root, links not followed: what it is and what it holds."""
    tree: dict[str, Any] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            relative = path.relative_to(root).as_posix()
            if path.is_symlink():
                tree[relative] = ("link", os.readlink(path))
            elif path.is_dir():
                tree[relative] = ("dir", oct(path.stat().st_mode))
            elif path.is_file():
                tree[relative] = ("file", path.read_bytes())
            else:
                tree[relative] = ("other", path.lstat().st_mode)
    return tree


def refuse(out: Path, protected: list[Path] | None = None, root: Path | None = None) -> str:
    """Write into ``out``; it must be refused with nothing under ``root`` changed. The message."""
    root = root or out.parent
    before = snapshot(root)
    with pytest.raises(OutputDirError) as caught:
        write_manifests(OBJECTS, out, protected=protected or [])
    assert snapshot(root) == before
    return str(caught.value)


def test_a_new_folder_gets_the_objects_and_a_marker_of_them(tmp_path: Path) -> None:
    (tmp_path / "neighbour.txt").write_text("stays")
    before = snapshot(tmp_path)
    out = tmp_path / "deep" / "er" / "out"
    written = write_manifests(OBJECTS, out)
    assert [p.relative_to(out).as_posix() for p in written] == [
        "flink/configmap-a.yaml", "flink/configmap-b.yaml", "other/configmap-c.yaml"
    ]
    marker = json.loads((out / RENDER_MARKER).read_text())
    assert marker == {
        "writtenBy": "pulumi-flink render",
        "files": {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in written},
    }
    assert load_manifests(out) == OBJECTS
    after = snapshot(tmp_path)
    assert {k: v for k, v in after.items() if not k.startswith("deep")} == before


def test_an_earlier_render_is_replaced_and_its_stale_objects_go(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_manifests(OBJECTS, out)
    write_manifests([configmap("d")], out)
    assert load_manifests(out) == [configmap("d")]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging or aside folder left


def test_an_empty_folder_is_used(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "empty-namespace").mkdir(parents=True)
    write_manifests(OBJECTS, out)
    assert len(load_manifests(out)) == 3


def _fifo(out: Path) -> None:
    os.mkfifo(out)


def _file(out: Path) -> None:
    out.write_text("precious")


def _link_to_a_render(out: Path) -> None:
    write_manifests(OBJECTS, out.parent / "real")
    out.symlink_to(out.parent / "real")


def _link_inside_a_render(out: Path) -> None:
    write_manifests(OBJECTS, out)
    (out.parent / "elsewhere.yaml").write_text("kind: x\n")
    (out / "flink" / "configmap-z.yaml").symlink_to(out.parent / "elsewhere.yaml")


def _fifo_inside_a_render(out: Path) -> None:
    write_manifests(OBJECTS, out)
    os.mkfifo(out / "flink" / "pipe.yaml")


def _foreign_file_in_a_render(out: Path) -> None:
    write_manifests(OBJECTS, out)
    (out / "flink" / "notes.yaml").write_text("mine\n")


def _edited_render(out: Path) -> None:
    write_manifests(OBJECTS, out)
    (out / "flink" / "configmap-a.yaml").write_text("edited by hand\n")


def _yaml_without_marker(out: Path) -> None:
    # What the renderer used to delete: a folder that holds only YAML files.
    (out / "flink").mkdir(parents=True)
    (out / "flink" / "configmap-a.yaml").write_text("kind: ConfigMap\n")


def _forged_marker(out: Path) -> None:
    _yaml_without_marker(out)
    (out / RENDER_MARKER).write_text("not json")


def _project(out: Path) -> None:
    write_manifests(OBJECTS, out)
    (out / "Pulumi.yaml").write_text("name: x\n")


def _repository(out: Path) -> None:
    out.mkdir()
    (out / ".git").mkdir()


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (_file, "it is a file, not a folder"),
        (_fifo, "it is a FIFO, not a folder"),
        (_link_to_a_render, "it is a symbolic link"),
        (_link_inside_a_render, "it holds flink/configmap-z.yaml, a symbolic link"),
        (_fifo_inside_a_render, "it holds flink/pipe.yaml, a FIFO"),
        (_foreign_file_in_a_render, "did not write: flink/notes.yaml"),
        (_edited_render, "changed since they were rendered: flink/configmap-a.yaml"),
        (_yaml_without_marker, f"no valid {RENDER_MARKER}"),
        (_forged_marker, f"no valid {RENDER_MARKER}"),
        (_project, "it holds Pulumi.yaml"),
        (_repository, "it holds .git"),
    ],
)
def test_refuses_what_it_did_not_write(tmp_path: Path, make: Callable[[Path], None], reason: str) -> None:
    out = tmp_path / "out"
    make(out)
    message = refuse(out)
    assert message.startswith(f"refusing to replace {out}: ") and reason in message, message
    assert "choose a new or empty folder" in message


def test_refuses_the_folder_of_an_input_and_its_ancestors(tmp_path: Path) -> None:
    stack_file = tmp_path / "repo" / "stacks" / "Pulumi.dev.yaml"
    stack_file.parent.mkdir(parents=True)
    stack_file.write_text("config: {}\n")
    for out in (stack_file.parent, tmp_path / "repo", tmp_path):
        message = refuse(out, protected=[stack_file], root=tmp_path)
        assert f"it holds {stack_file}, an input of this render" in message


def test_refuses_the_current_folder_its_ancestors_the_root_and_git(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = tmp_path / "work"
    here.mkdir()
    monkeypatch.chdir(here)
    assert "current folder" in refuse(Path("."), root=tmp_path)
    assert "current folder" in refuse(Path(".."), root=tmp_path)
    assert "current folder" in refuse(here, root=tmp_path)
    assert "the root folder" in refuse(Path("/"), root=tmp_path)
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    assert "inside a git repository's .git folder" in refuse(tmp_path / "repo" / ".git" / "r", root=tmp_path)


def test_refuses_an_object_path_that_leaves_the_folder(tmp_path: Path) -> None:
    before = snapshot(tmp_path)
    for bad in (configmap("../../escape"), configmap("a", namespace=".."), configmap("a", namespace="/etc")):
        with pytest.raises(OutputDirError, match="outside a plain file name"):
            write_manifests([bad], tmp_path / "out")
    assert snapshot(tmp_path) == before


def test_a_disk_that_fills_up_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    write_manifests([configmap("old")], out)
    before = snapshot(tmp_path)
    writes = []
    real_write = manifests._write_text

    def write_until_full(path: Path, text: str) -> None:
        writes.append(path)
        if len(writes) == 2:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        real_write(path, text)

    monkeypatch.setattr(manifests, "_write_text", write_until_full)
    for target in (out, tmp_path / "new" / "parents" / "out"):
        writes.clear()
        with pytest.raises(OutputDirError, match="No space left on device"):
            write_manifests(OBJECTS, target)
        assert snapshot(tmp_path) == before  # the earlier render, no staging folder, no new parents


def test_impossible_paths_get_a_message(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("x")
    cases = {
        tmp_path / "a-file" / "out": "Not a directory",
        tmp_path / ("x" * 300) / "out": "too long",
        tmp_path / "ok" / ("y" * 300): "too long",
    }
    for out, message in cases.items():
        assert message in refuse(out, root=tmp_path)
    assert "not a folder name" in refuse(tmp_path / "nul\0byte", root=tmp_path)


def test_an_unwritable_parent_gets_a_message(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        # Root writes through permission bits; sysfs refuses new folders to anyone.
        parent = Path("/sys/pulumi-flink-test")
        assert not parent.exists()
        with pytest.raises(OutputDirError, match="cannot write the render to"):
            write_manifests(OBJECTS, parent / "out")
        assert not parent.exists()
        return
    parent = tmp_path / "read-only"
    parent.mkdir()
    parent.chmod(0o555)
    try:
        assert "Permission denied" in refuse(parent / "out", root=tmp_path)
    finally:
        parent.chmod(0o755)


def test_a_render_that_changes_while_rendering_is_put_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    write_manifests(OBJECTS, out)
    real_refusal = manifests._refusal

    def then_someone_writes(out_dir: Path, protected: Any) -> str | None:
        reason = real_refusal(out_dir, protected)
        (out_dir / "flink" / "written-meanwhile.yaml").write_text("mine\n")
        return reason

    monkeypatch.setattr(manifests, "_refusal", then_someone_writes)
    before = snapshot(out)
    with pytest.raises(OutputDirError, match="changed while rendering"):
        write_manifests([configmap("new")], out)
    after = snapshot(out)
    assert after.pop("flink/written-meanwhile.yaml") == ("file", b"mine\n")
    assert after == before  # the earlier render is back, untouched; the new one is not there
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
