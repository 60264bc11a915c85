"""warroom.yaml validation: each error names the file, the line and the field."""

from pathlib import Path

import pytest

from warroom.config import load_config
from warroom.config.loader import parse_config
from warroom.errors import ConfigError

CASES = Path(__file__).parent / "config_cases"


def test_no_file_means_seed_defaults() -> None:
    cfg = load_config(None)
    assert cfg.severity_scale().names == ["SEV1", "SEV2", "SEV3", "SEV4"]
    assert cfg.severity_scale().default == "SEV3"


def test_valid_example_loads() -> None:
    cfg = load_config(CASES / "valid.yaml")
    scale = cfg.severity_scale()
    assert scale.names == ["CRIT", "WARN"]
    assert scale.canonical("page") == "CRIT"
    assert scale.require("CRIT").update_every.total_seconds() == 600
    assert cfg.classifier_rules()[0].severity == "CRIT"


@pytest.mark.parametrize(("case", "expected"), [
    ("unknown_field.yaml", "bad_case.yaml:3: severities.0.respons_time: unknown field"),
    ("bad_duration.yaml", "bad_case.yaml:4: severities.0.update_every: invalid duration '15 mins'"),
    ("bad_role.yaml", "bad_case.yaml:5: severities.0.required_roles.1: must be one of"),
    ("bad_default.yaml", "default_severity 'SEV9' is not one of"),
    ("duplicate_alias.yaml", "alias 'P1' is used twice"),
    ("not_yaml.yaml", "bad_case.yaml:3: not valid YAML"),
    ("top_list.yaml", "bad_case.yaml: the top level must be a mapping"),
])
def test_config_errors_name_file_line_and_field(case: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config((CASES / case).read_text(), "bad_case.yaml")
    assert expected in info.value.message


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read configuration"):
        load_config(tmp_path / "nope.yaml")
