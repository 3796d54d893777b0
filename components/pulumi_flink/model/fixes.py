"""How a rule's refusal carries its fix through pydantic: one ValueError whose text is the
message, ``FIX_SEPARATOR``, then the fix. ``spec.errors`` splits it back into a Problem, and
prints a Problem the same way, so the separator has this one home."""

from __future__ import annotations

FIX_SEPARATOR = " Fix: "
"""Between the message and the fix, in a validator's ValueError and in a printed Problem."""


def fix_error(message: str, fix: str) -> ValueError:
    """What a pydantic validator raises: a message and its fix, as one Problem."""
    return ValueError(f"{message}{FIX_SEPARATOR}{fix}")
