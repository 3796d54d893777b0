"""What the generators share: their command line (``--check``, ``--root``) and the file made
from the library's types, written or, with ``--check``, compared and reported stale."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def parser(command: str, description: str | None) -> argparse.ArgumentParser:
    """A generator's arguments: ``--check`` and ``--root`` (the repository root, by default
    the current directory, which ``python -m scripts.generators...`` needs anyway)."""
    found = argparse.ArgumentParser(
        prog=command, description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    found.add_argument("--check", action="store_true", help="exit 1 if the file is stale; write nothing")
    found.add_argument("--root", type=Path, default=Path("."), help="the repository root (default: .)")
    return found


def target_path(root: Path, target: Path) -> Path:
    """``target`` (relative to the repository root) under ``root``; SystemExit when ``root`` is
    not a checkout of this repository, so nothing is written to a wrong place."""
    if not (root / "pyproject.toml").is_file() or not (root / target).parent.is_dir():
        raise SystemExit(f"{root.resolve()} is not the repository root: run from there or pass --root")
    return root / target


def write_or_check(path: Path, text: str, command: str, check: bool) -> int:
    """Exit status: with ``check``, 1 when ``path`` does not hold ``text`` (nothing written);
    otherwise ``path`` is written when it differs, and 0."""
    current = path.read_text() if path.exists() else None
    if check:
        if current != text:
            print(f"{path} is stale: run `{command}` and commit the result", file=sys.stderr)
            return 1
        return 0
    if current != text:
        path.write_text(text)
        print(f"wrote {path}")
    return 0
