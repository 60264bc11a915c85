"""Which commands run themselves again under the C allocator (warroom.allocator)."""

from __future__ import annotations

import pytest

from warroom.allocator import wanted


@pytest.mark.parametrize(("argv", "expected"), [
    (["serve"], True),
    (["serve", "--port", "8080", "--workers", "2"], True),
    (["worker"], True),
    (["alert", "send", "serve"], False),  # a label value, not the command
    (["db", "upgrade"], False),
    (["--help"], False),
    ([], False),
])
def test_long_running_commands_want_it(argv: list[str], expected: bool) -> None:
    assert wanted(argv, {}) is expected


def test_an_allocator_already_chosen_is_left_alone() -> None:
    assert not wanted(["serve"], {"PYTHONMALLOC": "pymalloc"})
    assert not wanted(["serve"], {"PYTHONMALLOC": "malloc"})  # after the exec: no loop
