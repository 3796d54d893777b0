"""The bounded memo the validate-once and render-once caches share: a value is made once per
key, and past the limit the oldest key goes first."""

from __future__ import annotations

from pulumi_flink.model.memo import BoundedMemo


def test_a_value_is_made_once_per_key() -> None:
    memo: BoundedMemo[str, int] = BoundedMemo(4)
    made: list[str] = []

    def make(key: str) -> int:
        made.append(key)
        return len(made)

    assert memo.get("a", lambda: make("a")) == 1
    assert memo.get("a", lambda: make("a")) == 1
    assert memo.get("b", lambda: make("b")) == 2
    assert made == ["a", "b"] and "a" in memo and "c" not in memo


def test_past_the_limit_the_oldest_key_goes_first() -> None:
    memo: BoundedMemo[int, int] = BoundedMemo(2)
    for key in (1, 2, 3):
        memo.remember(key, key * 10)
    assert 1 not in memo and 2 in memo and 3 in memo
    memo.remember(2, 21)  # a key kept again takes no room of another
    assert 2 in memo and 3 in memo and memo.get(2, lambda: 0) == 21
