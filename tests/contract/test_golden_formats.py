"""Golden tests: every ``golden/<format>/<case>.input.json`` parses to ``<case>.expected.json``.

``<case>.meta.json`` (optional) gives ``now`` and ``options``.  A body the format
rejects outright is expected as ``{"format_error": {...}}``.  After a deliberate change,
regenerate with ``python tests/contract/test_golden_formats.py`` and review the diff.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from warroom.alerts.formats import FormatError, require_format

GOLDEN = Path(__file__).parent / "golden"
DEFAULT_NOW = "2026-11-22T21:57:00Z"
CASES = sorted(GOLDEN.glob("*/*.input.json"))


def _case_id(path: Path) -> str:
    return f"{path.parent.name}/{path.name.removesuffix('.input.json')}"


def _load_meta(input_path: Path) -> dict[str, Any]:
    meta_path = input_path.with_name(input_path.name.replace(".input.json", ".meta.json"))
    return json.loads(meta_path.read_text()) if meta_path.exists() else {}


def normalised_output(input_path: Path) -> dict[str, Any]:
    """What the format under test makes of one golden input, as JSON."""
    meta = _load_meta(input_path)
    now = datetime.fromisoformat(meta.get("now", DEFAULT_NOW).replace("Z", "+00:00")).astimezone(UTC)
    fmt = require_format(input_path.parent.name)
    payload = json.loads(input_path.read_text())
    try:
        result = fmt.parse(payload, now=now, options=meta.get("options"))
    except FormatError as exc:
        return {
            "format_error": {
                "message": str(exc),
                "problems": [{"field": p.field, "message": p.message} for p in exc.problems],
            }
        }
    return result.to_dict(include_raw=False)


def _expected_path(input_path: Path) -> Path:
    return input_path.with_name(input_path.name.replace(".input.json", ".expected.json"))


def test_golden_cases_exist_for_every_builtin_format() -> None:
    from warroom.alerts.formats import FORMATS

    assert {p.parent.name for p in CASES} == set(FORMATS)


@pytest.mark.parametrize("input_path", CASES, ids=_case_id)
def test_golden_payload_normalises_to_expected(input_path: Path) -> None:
    expected_path = _expected_path(input_path)
    assert expected_path.exists(), f"missing {expected_path.name}; regenerate and review"
    assert normalised_output(input_path) == json.loads(expected_path.read_text())


def _regenerate() -> None:
    for input_path in CASES:
        text = json.dumps(normalised_output(input_path), indent=1, ensure_ascii=False, sort_keys=True)
        _expected_path(input_path).write_text(text + "\n")
        print("wrote", _expected_path(input_path).relative_to(GOLDEN))


if __name__ == "__main__":
    sys.exit(_regenerate())
