"""A stand-in repository root for the generators' write-or-check tests (``scripts.generators``)."""

from pathlib import Path


def stand_in_root(tmp_path: Path, target: Path, text: str) -> Path:
    """A directory the generators take for the repository root (it holds a ``pyproject.toml``),
    with ``target`` (relative to it) holding ``text``."""
    (tmp_path / "pyproject.toml").write_text("")
    path = tmp_path / target
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return tmp_path
