"""The C fingerprint module (`_fnv.c`) agrees with the pure-Python reference bit for bit.

`pip install` builds it when a compiler is there, as on this project's machines and CI, so
these tests import it outright: an install that lost it fails here instead of silently
running ~10x slower fingerprints. The Python path is the fallback and the reference."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warroom.alerts import _fnv
from warroom.alerts import fingerprint as fp

# Any code point, lone surrogates included (JSON can carry them as \ud800).
texts = st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF, blacklist_categories=()),
                max_size=40)


def test_the_speedup_is_what_alertmanager_fingerprint_uses() -> None:
    assert fp.SPEEDUP_BUILT
    assert fp.fnv1a64 is _fnv.fnv1a64


@given(st.binary(max_size=300))
def test_fnv1a64_agrees_with_the_reference(data: bytes) -> None:
    assert _fnv.fnv1a64(data) == fp.python_fnv1a64(data)


@given(st.dictionaries(texts, texts, max_size=12))
def test_label_fingerprint_agrees_with_the_reference(labels: dict[str, str]) -> None:
    # Label sets with lone surrogates are declined by C (None) and hashed by Python.
    assert fp.alertmanager_fingerprint(labels) == fp.python_label_fingerprint(labels)
    got = _fnv.label_fingerprint(labels)
    assert got is None or got == fp.python_label_fingerprint(labels)


def test_bytes_above_0x7f_hash_unsigned() -> None:
    # A published C module hashes these as signed chars and gets a different number.
    data = b"alertname\xffFoo\xff\xe2\x82\xac\xff"
    assert _fnv.fnv1a64(data) == fp.python_fnv1a64(data) == 0xDEF42FDC92171EFB


@pytest.mark.parametrize("labels", [{"a": 1}, {1: "a"}, {"a": "x", 2: "y"}, {"a": None}])
def test_non_string_label_sets_are_left_to_python(labels: dict) -> None:
    assert _fnv.label_fingerprint(labels) is None


def test_lone_surrogates_are_left_to_python() -> None:
    labels = {"alertname": "bad \ud800 name"}
    assert _fnv.label_fingerprint(labels) is None
    assert fp.alertmanager_fingerprint(labels) == fp.python_label_fingerprint(labels)
