"""String types for input: bounded, and free of NUL (PostgreSQL text cannot hold it)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, StringConstraints


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def bounded(max_length: int, min_length: int = 0) -> object:
    return Annotated[
        str,
        StringConstraints(min_length=min_length, max_length=max_length),
        AfterValidator(_no_nul),
    ]


Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500),
                  AfterValidator(_no_nul)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
                 AfterValidator(_no_nul)]
ShortText = Annotated[str, StringConstraints(max_length=200), AfterValidator(_no_nul)]
LongText = Annotated[str, StringConstraints(max_length=65_536), AfterValidator(_no_nul)]
LabelName = Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(_no_nul)]
LabelValue = Annotated[str, StringConstraints(max_length=2_000), AfterValidator(_no_nul)]
