"""Rules for the free text of a spec: whole-string patterns, and no control characters.

A value checked with ``re.match`` against ``^...$`` passes with a trailing newline (``$``
also matches before one), and the newline then reaches an object name, a label or a file
name. ``whole_string`` is how the package builds every pattern that checks a value, so a
pattern can only ever accept the whole string (tests/unit/model/test_text.py keeps it that way).

Values that are free text (image references, paths, URIs) cannot be checked by a pattern,
but a control character in one breaks the object or file it reaches, or hides in a name:
``control_characters`` finds them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

WholeStringMatch = Callable[[str], "re.Match[str] | None"]


def whole_string(pattern: str, flags: int = 0) -> WholeStringMatch:
    """A matcher that accepts ``text`` only if ``pattern`` matches all of it (``fullmatch``)."""
    return re.compile(pattern, flags).fullmatch


# Cc: C0 and C1 controls (newline, CR, NUL, tab, DEL, NEL U+0085); Zl and Zp: U+2028 and
# U+2029, which YAML and many tools also read as line breaks.
_CONTROL_CATEGORIES = ("Cc", "Zl", "Zp")


def control_characters(text: str) -> list[str]:
    """The control characters in ``text``, each written as Python would escape it ('\\n')."""
    found = dict.fromkeys(c for c in text if unicodedata.category(c) in _CONTROL_CATEGORIES)
    return [repr(c)[1:-1] for c in found]


def check_no_control_characters(value: str, what: str) -> str:
    """``value`` unchanged, or a ``ValueError`` (with a ``Fix:``) naming its control characters."""
    found = control_characters(value)
    if found:
        raise ValueError(
            f"the {what} {value!r} contains the control character(s) {', '.join(found)}. "
            "Fix: write it on one line, without tabs, line breaks or other control characters"
        )
    return value


ONE_LINE_FIX = "write it on one line"


def spans_lines(text: str) -> bool:
    """Whether ``text`` holds a line break (\\n or \\r, where Flink's flink-conf.yaml reader ends
    a line). The one rule for spec text the config file carries: it holds one line, whatever
    the file; the spec refuses it in ``flinkConfiguration`` values, the config text check
    (``config_text_refusal``) in any text that reaches the file."""
    return "\n" in text or "\r" in text
