"""The library's one error type for bad input.

Every problem names the field's path (as the user wrote it: camelCase keys,
``clusters[0].taskManager.memory``) and the fix. Errors are raised before any
resource is registered, so a bad input never leaves a half-made stack.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pulumi

from pulumi_flink.model.fixes import FIX_SEPARATOR


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: where, what, and how to fix it."""

    path: str
    message: str
    fix: str = ""

    def prefixed(self, prefix: str) -> Problem:
        if not prefix:
            return self
        if not self.path:
            return Problem(prefix, self.message, self.fix)
        joiner = "" if self.path.startswith("[") else "."
        return Problem(f"{prefix}{joiner}{self.path}", self.message, self.fix)

    def __str__(self) -> str:
        where = self.path or "(spec)"
        text = f"{where}: {self.message}"
        if self.fix:
            text += f"{FIX_SEPARATOR}{self.fix}"
        return text


class FlinkSpecError(pulumi.RunError, ValueError):
    """Bad input to pulumi-flink.

    A ``pulumi.RunError``, so ``pulumi up`` prints the message without a
    Python traceback; a ``ValueError``, so a spec part that fails inside a
    larger spec keeps its problems (the parent prefixes their paths).
    """

    def __init__(self, problems: Sequence[Problem]) -> None:
        if not problems:
            raise ValueError("FlinkSpecError needs at least one problem")
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__(self._format())

    def _format(self) -> str:
        if len(self.problems) == 1:
            return f"invalid Flink spec: {self.problems[0]}"
        lines = [f"invalid Flink spec ({len(self.problems)} problems):"]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)

    @property
    def paths(self) -> list[str]:
        return [p.path for p in self.problems]

    def prefixed(self, prefix: str) -> FlinkSpecError:
        return FlinkSpecError([p.prefixed(prefix) for p in self.problems])


def raise_if_any(problems: Iterable[Problem]) -> None:
    collected = list(problems)
    if collected:
        raise FlinkSpecError(collected)
