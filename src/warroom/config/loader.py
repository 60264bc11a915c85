"""Load warroom.yaml and turn validation errors into messages naming file, line and field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from warroom.config.schema import WarroomConfig
from warroom.errors import ConfigError


class _LineLoader(yaml.SafeLoader):
    """A safe loader that remembers the line of every mapping key and sequence item."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    lines = {key_node.value: key_node.start_mark.line + 1 for key_node, _ in node.value}
    return _Located(mapping, lines, node.start_mark.line + 1)


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> list[Any]:
    items = loader.construct_sequence(node, deep=True)
    return _LocatedList(items, [item.start_mark.line + 1 for item in node.value],
                        node.start_mark.line + 1)


class _LocatedList(list[Any]):
    """A list that knows the source line of each item."""

    def __init__(self, data: list[Any], lines: list[int], line: int) -> None:
        super().__init__(data)
        self.lines = lines
        self.line = line


class _Located(dict[Any, Any]):
    """A dict that knows the source line of each of its keys."""

    def __init__(self, data: dict[Any, Any], lines: dict[Any, int], line: int) -> None:
        super().__init__(data)
        self.lines = lines
        self.line = line


_LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping  # type: ignore[arg-type]
)
_LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence  # type: ignore[arg-type]
)


def _line_of(data: Any, loc: tuple[int | str, ...]) -> int | None:
    line = getattr(data, "line", None)
    node = data
    for part in loc:
        if isinstance(node, _Located) and part in node.lines:
            line = node.lines[part]
            node = node[part]
        elif isinstance(node, _LocatedList) and isinstance(part, int) and 0 <= part < len(node):
            line = node.lines[part]
            node = node[part]
        else:
            break
    return line


def _plain(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_plain(v) for v in data]
    return data


def parse_config(text: str, source: str = "warroom.yaml") -> WarroomConfig:
    """Validate configuration text; raise ConfigError with one line per problem."""
    try:
        data = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        raise ConfigError(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the top level must be a mapping of sections")
    try:
        return WarroomConfig.model_validate(_plain(data))
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(p for p in err["loc"])
            field = ".".join(str(p) for p in loc) or "(top level)"
            line = _line_of(data, loc)
            where = f"{source}:{line}" if line else source
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "unknown field"
            elif err["type"] == "enum" and "expected" in err.get("ctx", {}):
                msg = f"must be one of {err['ctx']['expected']}"
            problems.append(f"{where}: {field}: {msg}")
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(problems)) from None


def load_config(path: Path | None) -> WarroomConfig:
    """The configuration at `path`, or the defaults when no file is configured."""
    if path is None:
        return WarroomConfig()
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read configuration: {exc.strerror}") from None
    return parse_config(text, str(path))
