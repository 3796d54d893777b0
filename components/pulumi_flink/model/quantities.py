"""Kubernetes quantities (``2Gi``, ``500m``) and Flink memory sizes (``256m``, ``1 gb``).

The spec takes Kubernetes quantities, because that is what a platform team
writes for pods; Flink's configuration gets the same amount in whole mebibytes,
so the container memory limit and Flink's process size are one number.
"""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction

from pulumi_flink.model.text import whole_string

MIB = 1024 * 1024
# Kubernetes caps a quantity at 2^63-1 (of bytes, or of millicores for CPU), silently, and
# Flink's MemorySize counts bytes in a Java long: larger amounts are refused, not capped.
MAX_AMOUNT = 2**63 - 1

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "": Decimal(1),
    "k": Decimal(10**3),
    "M": Decimal(10**6),
    "G": Decimal(10**9),
    "T": Decimal(10**12),
    "P": Decimal(10**15),
    "E": Decimal(10**18),
}
_QUANTITY = whole_string(r"([+]?[0-9]+(?:\.[0-9]*)?|[+]?\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]?)")


def parse_quantity(text: str) -> Fraction:
    """The exact value of a Kubernetes quantity, in base units (bytes, or cores).

    Exact (a ``Fraction``): ``Decimal`` arithmetic rounds to 28 digits, which made a
    30-digit quantity look like a whole number of MiB."""
    match = _QUANTITY(text) if isinstance(text, str) else None
    if not match:
        raise ValueError(f"{text!r} is not a Kubernetes quantity")
    number, suffix = match.groups()
    factor = Fraction(_BINARY[suffix]) if suffix in _BINARY else Fraction(_DECIMAL[suffix])
    return Fraction(Decimal(number)) * factor


def memory_mebibytes(text: str) -> int:
    """A memory quantity as whole MiB; refuses anything that is not a whole MiB."""
    value = parse_quantity(text)
    if value <= 0:
        raise ValueError(f"{text!r} must be greater than zero")
    if value > MAX_AMOUNT:
        raise ValueError(f"{text!r} is more than Kubernetes can hold (2^63-1 bytes, 8Ei less one byte)")
    mebibytes = value / MIB
    if mebibytes.denominator != 1:
        raise ValueError(
            f"{text!r} is not a whole number of mebibytes; Flink sizes memory in MiB "
            f"(write e.g. '{int(mebibytes) or 1}Mi')"
        )
    return int(mebibytes)


def cpu_millicores(text: str) -> int:
    """A CPU quantity in millicores; refuses zero, negatives and sub-millicore values."""
    value = parse_quantity(text) * 1000
    if value <= 0:
        raise ValueError(f"{text!r} must be greater than zero")
    if value.denominator != 1:
        raise ValueError(f"{text!r} is finer than a millicore")
    if value > MAX_AMOUNT:
        raise ValueError(f"{text!r} is more than Kubernetes can hold (2^63-1 millicores)")
    return int(value)


def format_cpu(millicores: int) -> str:
    return str(millicores // 1000) if millicores % 1000 == 0 else f"{millicores}m"


_FLINK_UNITS = {
    "": 1,
    "b": 1,
    "bytes": 1,
    "k": 2**10,
    "kb": 2**10,
    "kibibytes": 2**10,
    "m": 2**20,
    "mb": 2**20,
    "mebibytes": 2**20,
    "g": 2**30,
    "gb": 2**30,
    "gibibytes": 2**30,
    "t": 2**40,
    "tb": 2**40,
    "tebibytes": 2**40,
}
# MemorySize.parseBytes: String.trim() (every character up to U+0020), ASCII digits, then the
# unit, trimmed again and lower-cased.
_FLINK_SIZE = whole_string(r"[\x00-\x20]*([0-9]+)[\x00-\x20]*(.*?)[\x00-\x20]*", re.ASCII | re.DOTALL)


def flink_memory_bytes(text: str | int) -> int:
    """Bytes in a Flink ``MemorySize`` string, read the way Flink reads it: a Java long, so
    2^63 bytes and more are refused, as Flink refuses them."""
    match = _FLINK_SIZE(str(text))
    unit = match.group(2).lower() if match else None
    if not match or unit not in _FLINK_UNITS:
        raise ValueError(f"{text!r} is not a Flink memory size (write e.g. '256m' or '1g')")
    value = int(match.group(1))
    if value > MAX_AMOUNT or value * _FLINK_UNITS[unit] > MAX_AMOUNT:
        raise ValueError(f"{text!r} is more than Flink can hold (2^63-1 bytes)")
    return value * _FLINK_UNITS[unit]
