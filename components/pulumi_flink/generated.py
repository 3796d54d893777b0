"""What the generators share (``args_gen``, ``config_schema``, ``defaults_doc``): a file
made from the spec is written, or with ``--check`` compared and reported stale."""

from __future__ import annotations

import sys
from pathlib import Path


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
