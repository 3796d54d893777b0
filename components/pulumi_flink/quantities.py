"""Kubernetes quantities (``2Gi``, ``500m``) and Flink memory sizes (``256m``, ``1 gb``).

The spec takes Kubernetes quantities, because that is what a platform team
writes for pods; Flink's configuration gets the same amount in whole mebibytes,
so the container memory limit and Flink's process size are one number.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

MIB = 1024 * 1024

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
_QUANTITY = re.compile(r"^([+]?[0-9]+(?:\.[0-9]*)?|[+]?\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]?)$")


def parse_quantity(text: str) -> Decimal:
    """The value of a Kubernetes quantity, in base units (bytes, or cores)."""
    match = _QUANTITY.fullmatch(text) if isinstance(text, str) else None
    if not match:
        raise ValueError(f"{text!r} is not a Kubernetes quantity")
    number, suffix = match.groups()
    try:
        value = Decimal(number)
    except InvalidOperation as exc:  # pragma: no cover - the regex admits only numbers
        raise ValueError(f"{text!r} is not a Kubernetes quantity") from exc
    factor = Decimal(_BINARY[suffix]) if suffix in _BINARY else _DECIMAL[suffix]
    return value * factor


def memory_mebibytes(text: str) -> int:
    """A memory quantity as whole MiB; refuses anything that is not a whole MiB."""
    value = parse_quantity(text)
    if value <= 0:
        raise ValueError(f"{text!r} must be greater than zero")
    mebibytes = value / MIB
    if mebibytes != mebibytes.to_integral_value():
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
    if value != value.to_integral_value():
        raise ValueError(f"{text!r} is finer than a millicore")
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
_FLINK_SIZE = re.compile(r"^\s*([0-9]+)\s*([a-zA-Z]*)\s*$")


def flink_memory_bytes(text: str | int) -> int:
    """Bytes in a Flink ``MemorySize`` string, read the way Flink reads it."""
    if isinstance(text, int):
        return text
    match = _FLINK_SIZE.match(str(text))
    unit = match.group(2).lower() if match else None
    if not match or unit not in _FLINK_UNITS:
        raise ValueError(f"{text!r} is not a Flink memory size (write e.g. '256m' or '1g')")
    return int(match.group(1)) * _FLINK_UNITS[unit]
