"""A bounded memo: what a long-lived process (a test run, the offline renderer, a Pulumi
program of many clusters) computes once per key and reads again, the oldest dropped first."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

Key = TypeVar("Key", bound=Hashable)
Value = TypeVar("Value")


class BoundedMemo(Generic[Key, Value]):
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._kept: dict[Key, Value] = {}

    def __contains__(self, key: Key) -> bool:
        return key in self._kept

    def remember(self, key: Key, value: Value) -> None:
        if key not in self._kept and len(self._kept) >= self.limit:
            del self._kept[next(iter(self._kept))]
        self._kept[key] = value

    def get(self, key: Key, make: Callable[[], Value]) -> Value:
        """The value kept for ``key``, or ``make()``'s, kept."""
        if key in self._kept:
            return self._kept[key]
        value = make()
        self.remember(key, value)
        return value
