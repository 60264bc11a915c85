"""Bounded memos for hot paths: routing decisions, severities, integration keys.

A storm has few distinct inputs, so a memo that empties itself when full (instead of
tracking which entries were used last) keeps the lookup a plain dict access.
"""

from __future__ import annotations

from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


def remember(memo: dict[K, V], key: K, value: V, size: int) -> V:
    """Store `value` under `key`, emptying `memo` first when it already holds `size`
    entries; returns `value`."""
    if len(memo) >= size:
        memo.clear()
    memo[key] = value
    return value
