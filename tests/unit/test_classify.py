"""Seed 002's severity classifier, configurable; checked against a transcription of the seed."""

from hypothesis import given
from hypothesis import strategies as st

from warroom.incidents.classify import ClassifierRule, Impact, classify


def seed_classify(error_rate: float, affected: float, revenue: float, security: bool,
                  data_loss: bool, core: bool) -> str:
    """The seed's classify_severity, transcribed literally as the reference."""
    if security or data_loss:
        return "SEV1"
    if error_rate > 50 and affected > 75:
        return "SEV1"
    if core and affected > 50:
        return "SEV1"
    if revenue > 10000:
        return "SEV1"
    if revenue > 1000:
        return "SEV2"
    if error_rate > 10 or affected > 25:
        return "SEV2"
    if error_rate > 1 or affected > 5:
        return "SEV3"
    return "SEV4"


pct = st.floats(min_value=0, max_value=100, allow_nan=False)


@given(pct, pct, st.floats(min_value=0, max_value=1e6, allow_nan=False),
       st.booleans(), st.booleans(), st.booleans())
def test_default_rules_match_the_seed(error_rate: float, affected: float, revenue: float,
                                      security: bool, data_loss: bool, core: bool) -> None:
    impact = Impact(affected_users_pct=affected, error_rate_pct=error_rate,
                    revenue_impact_per_hour=revenue, security_incident=security,
                    data_loss=data_loss, core_feature_affected=core)
    assert classify(impact).severity == seed_classify(error_rate, affected, revenue, security,
                                                      data_loss, core)


def test_reason_names_the_rule_that_fired() -> None:
    result = classify(Impact(error_rate_pct=60, affected_users_pct=80))
    assert result.severity == "SEV1"
    assert "error rate > 50%" in result.reason


def test_boundaries_are_strict() -> None:
    assert classify(Impact(revenue_impact_per_hour=10_000)).severity == "SEV2"
    assert classify(Impact(revenue_impact_per_hour=10_000.01)).severity == "SEV1"
    assert classify(Impact(error_rate_pct=1)).severity == "SEV4"


def test_unknown_values_count_as_no_impact() -> None:
    assert classify(Impact()).severity == "SEV4"


def test_custom_rules_and_fallback() -> None:
    rules = (ClassifierRule("SEV2", "any errors", error_rate_pct_above=0),)
    assert classify(Impact(error_rate_pct=0.5), rules, "SEV3").severity == "SEV2"
    assert classify(Impact(error_rate_pct=0), rules, "SEV3").severity == "SEV3"
