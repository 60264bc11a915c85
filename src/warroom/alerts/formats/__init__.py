"""Ingest formats: each turns one decoded JSON body into a ParseResult, purely."""

from warroom.alerts.formats.base import (
    Format,
    FormatError,
    ItemError,
    OptionsError,
    ParseResult,
    Problem,
)
from warroom.alerts.formats.registry import (
    BUILTIN_FORMATS,
    FORMATS,
    UnknownFormatError,
    get_format,
    require_format,
)

__all__ = [
    "BUILTIN_FORMATS",
    "FORMATS",
    "Format",
    "FormatError",
    "ItemError",
    "OptionsError",
    "ParseResult",
    "Problem",
    "UnknownFormatError",
    "get_format",
    "require_format",
]
