"""Label matchers with Alertmanager semantics, shared by routes, silences and inhibit rules.

Regexes run on RE2 so a hostile pattern in a silence or filter cannot stall the server.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import re2  # type: ignore[import-untyped]

__all__ = [
    "MatchType",
    "Matcher",
    "MatcherError",
    "format_label_name",
    "format_matchers",
    "matches_all",
    "parse_matcher",
    "parse_matchers",
    "quote",
]

_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")


class MatcherError(ValueError):
    """A matcher could not be parsed or compiled; `position` points into the input if known."""

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message if position is None else f"{message} (at position {position})")
        self.position = position


class MatchType(StrEnum):
    """The four Alertmanager match operators."""

    EQUAL = "="
    NOT_EQUAL = "!="
    REGEX = "=~"
    NOT_REGEX = "!~"

    @property
    def is_regex(self) -> bool:
        return self in (MatchType.REGEX, MatchType.NOT_REGEX)

    @property
    def is_negative(self) -> bool:
        return self in (MatchType.NOT_EQUAL, MatchType.NOT_REGEX)


def _compile(value: str) -> Any:
    """Compile a fully anchored RE2 pattern; the bare pattern must be valid on its own.

    Alertmanager only compiles `^(?:v)$`, which lets `a)|(b` escape the anchors;
    compiling `v` alone first closes that hole.
    """
    options = re2.Options()
    options.log_errors = False
    try:
        re2.compile(value, options)
        return re2.compile(f"^(?:{value})$", options)
    except re2.error as exc:
        detail = exc.args[0] if exc.args else exc
        if isinstance(detail, bytes):
            detail = detail.decode("utf-8", "replace")
        raise MatcherError(f"invalid regular expression {quote(value)}: {detail}") from None


@dataclass(frozen=True)
class Matcher:
    """One `name op value` test; a missing label matches as the empty string."""

    name: str
    type: MatchType
    value: str
    _regex: Any = field(default=None, init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        try:
            match_type = MatchType(self.type)
        except ValueError:
            raise MatcherError(f"unknown match operator {self.type!r}") from None
        object.__setattr__(self, "type", match_type)
        if not isinstance(self.name, str) or not self.name:
            raise MatcherError("label name must not be empty")
        if not isinstance(self.value, str):
            raise MatcherError(f"matcher value for {self.name!r} must be a string")
        if match_type.is_regex:
            object.__setattr__(self, "_regex", _compile(self.value))

    def matches(self, labels: Mapping[str, str]) -> bool:
        """True when the label set satisfies this matcher (missing label == "")."""
        actual = labels.get(self.name, "")
        if self.type is MatchType.EQUAL:
            return actual == self.value
        if self.type is MatchType.NOT_EQUAL:
            return actual != self.value
        found = self._regex.search(actual) is not None
        return found if self.type is MatchType.REGEX else not found

    def matches_value(self, value: str) -> bool:
        """Test a bare value, e.g. to check whether the matcher accepts the empty string."""
        return self.matches({self.name: value})

    def __str__(self) -> str:
        return f"{format_label_name(self.name)}{self.type.value}{quote(self.value)}"

    def to_dict(self) -> dict[str, Any]:
        """The Alertmanager API v2 matcher shape."""
        return {
            "name": self.name,
            "value": self.value,
            "isRegex": self.type.is_regex,
            "isEqual": not self.type.is_negative,
        }

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Matcher:
        """Build from the API v2 shape; `isEqual` defaults to true as in the spec."""
        if not isinstance(data, Mapping):
            raise MatcherError("matcher must be an object")
        name, value = data.get("name"), data.get("value")
        is_regex, is_equal = data.get("isRegex", False), data.get("isEqual", True)
        if not isinstance(name, str) or not name:
            raise MatcherError("matcher 'name' must be a non-empty string")
        if not isinstance(value, str):
            raise MatcherError(f"matcher {name!r}: 'value' must be a string")
        if not isinstance(is_regex, bool) or not isinstance(is_equal, bool):
            raise MatcherError(f"matcher {name!r}: 'isRegex' and 'isEqual' must be booleans")
        if is_regex:
            match_type = MatchType.REGEX if is_equal else MatchType.NOT_REGEX
        else:
            match_type = MatchType.EQUAL if is_equal else MatchType.NOT_EQUAL
        return cls(name, match_type, value)


def matches_all(matchers: tuple[Matcher, ...] | list[Matcher], labels: Mapping[str, str]) -> bool:
    """True when every matcher matches (an empty list matches everything)."""
    return all(m.matches(labels) for m in matchers)


def quote(text: str) -> str:
    """Double-quote a string the way the parser reads it back."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def format_label_name(name: str) -> str:
    """Bare when it is a classic label name, quoted otherwise (UTF-8 names)."""
    return name if _LABEL_NAME.fullmatch(name) else quote(name)


def format_matchers(matchers: tuple[Matcher, ...] | list[Matcher]) -> str:
    """`{a="b", c=~"d"}`, the form parse_matchers accepts."""
    return "{" + ", ".join(str(m) for m in matchers) + "}"


class _Parser:
    """Hand-written scanner so that errors can name the exact position."""

    _OPERATORS = ("=~", "!~", "!=", "=")
    _UNQUOTED_STOP = frozenset(' \t\r\n,{}"')

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def parse(self) -> list[Matcher]:
        self._skip_ws()
        braced = self._peek() == "{"
        if braced:
            self.pos += 1
        matchers: list[Matcher] = []
        while True:
            self._skip_ws()
            if self._at_end() or (braced and self._peek() == "}"):
                break
            matchers.append(self._matcher())
            self._skip_ws()
            if self._peek() == ",":
                self.pos += 1
                continue
            if self._at_end() or (braced and self._peek() == "}"):
                break
            if self._peek() == "}":
                raise MatcherError("unexpected '}' without an opening '{'", self.pos)
            raise MatcherError(f"expected ',' between matchers, found {self._peek()!r}", self.pos)
        if braced:
            if self._peek() != "}":
                raise MatcherError("missing closing '}'", self.pos)
            self.pos += 1
            self._skip_ws()
        if not self._at_end():
            raise MatcherError(f"unexpected {self._peek()!r} after matchers", self.pos)
        return matchers

    def _matcher(self) -> Matcher:
        start = self.pos
        name = self._name()
        self._skip_ws()
        op_pos = self.pos
        op = next((o for o in self._OPERATORS if self.text.startswith(o, self.pos)), None)
        if op is None:
            found = repr(self._peek()) if not self._at_end() else "end of input"
            raise MatcherError(
                f"expected one of =, !=, =~, !~ after label name {name!r}, found {found}", op_pos
            )
        self.pos += len(op)
        self._skip_ws()
        value = self._quoted() if self._peek() == '"' else self._unquoted_value()
        try:
            return Matcher(name, MatchType(op), value)
        except MatcherError as exc:
            raise MatcherError(str(exc), start) from None

    def _name(self) -> str:
        start = self.pos
        if self._peek() == '"':
            name = self._quoted()
            if not name:
                raise MatcherError("label name must not be empty", start)
            return name
        found = _LABEL_NAME.match(self.text, self.pos)
        if found is None:
            what = repr(self._peek()) if not self._at_end() else "end of input"
            raise MatcherError(
                f"expected a label name ([a-zA-Z_][a-zA-Z0-9_]* or a quoted string), found {what}",
                start,
            )
        self.pos = found.end()
        return found.group(0)

    def _quoted(self) -> str:
        start = self.pos
        self.pos += 1
        out: list[str] = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == '"':
                self.pos += 1
                return "".join(out)
            if char == "\\" and self.pos + 1 < len(self.text):
                nxt = self.text[self.pos + 1]
                if nxt in '"\\':
                    out.append(nxt)
                elif nxt == "n":
                    out.append("\n")
                else:  # a spurious escape stays literal, so "\d+" keeps its backslash
                    out.append("\\" + nxt)
                self.pos += 2
                continue
            out.append(char)
            self.pos += 1
        raise MatcherError("unterminated quoted string", start)

    def _unquoted_value(self) -> str:
        start = self.pos
        while not self._at_end() and self.text[self.pos] not in self._UNQUOTED_STOP:
            self.pos += 1
        return self.text[start : self.pos]

    def _skip_ws(self) -> None:
        while not self._at_end() and self.text[self.pos].isspace():
            self.pos += 1

    def _peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def _at_end(self) -> bool:
        return self.pos >= len(self.text)


def parse_matchers(text: str) -> list[Matcher]:
    """Parse amtool/Alertmanager syntax: `{foo="bar", baz=~"x.*"}`, `foo=bar,job!~"a|b"`.

    Braces are optional, a trailing comma is allowed, and `""` or `{}` give an empty list.
    """
    return _Parser(text).parse()


def parse_matcher(text: str) -> Matcher:
    """Parse exactly one matcher such as `severity=~"critical|high"`."""
    matchers = parse_matchers(text)
    if len(matchers) != 1:
        raise MatcherError(f"expected exactly one matcher, found {len(matchers)} in {text!r}")
    return matchers[0]
