from collections.abc import Mapping

from hypothesis import given
from hypothesis import strategies as st

from warroom.routing.matchers import parse_matchers
from warroom.suppression.inhibit import InhibitRule, inhibited_by


def rule(source: str, target: str, equal: tuple[str, ...] = ()) -> InhibitRule:
    return InhibitRule(tuple(parse_matchers(source)), tuple(parse_matchers(target)), equal)


CRIT_MUTES_WARN = rule('severity="critical"', 'severity="warning"', ("alertname", "cluster"))


def test_source_inhibits_target_with_equal_labels() -> None:
    source = {"alertname": "Down", "cluster": "eu", "severity": "critical"}
    target = {"alertname": "Down", "cluster": "eu", "severity": "warning", "instance": "x"}
    found = inhibited_by(target, [source], [CRIT_MUTES_WARN])
    assert found is not None
    assert found.source_labels is source
    assert found.rule_index == 0


def test_equal_labels_must_have_equal_values() -> None:
    source = {"alertname": "Down", "cluster": "us", "severity": "critical"}
    target = {"alertname": "Down", "cluster": "eu", "severity": "warning"}
    assert inhibited_by(target, [source], [CRIT_MUTES_WARN]) is None


def test_missing_on_both_sides_counts_as_equal() -> None:
    source = {"alertname": "Down", "severity": "critical"}
    target = {"alertname": "Down", "severity": "warning"}
    assert inhibited_by(target, [source], [CRIT_MUTES_WARN]) is not None


def test_missing_on_one_side_equals_empty_value_only() -> None:
    source = {"alertname": "Down", "severity": "critical", "cluster": ""}
    target = {"alertname": "Down", "severity": "warning"}
    assert inhibited_by(target, [source], [CRIT_MUTES_WARN]) is not None
    source2 = {"alertname": "Down", "severity": "critical", "cluster": "eu"}
    assert inhibited_by(target, [source2], [CRIT_MUTES_WARN]) is None


def test_target_must_match_target_matchers_and_source_source_matchers() -> None:
    source = {"alertname": "Down", "severity": "critical"}
    info = {"alertname": "Down", "severity": "info"}
    assert inhibited_by(info, [source], [CRIT_MUTES_WARN]) is None
    not_source = {"alertname": "Down", "severity": "warning"}
    target = {"alertname": "Down", "severity": "warning", "x": "1"}
    assert inhibited_by(target, [not_source], [CRIT_MUTES_WARN]) is None


def test_alert_matching_both_sides_does_not_inhibit_itself() -> None:
    r = rule('alertname="NodeDown"', 'alertname="NodeDown"', ("node",))
    alert = {"alertname": "NodeDown", "node": "n1"}
    assert inhibited_by(alert, [alert], [r]) is None


def test_two_sided_target_only_inhibited_by_one_sided_source() -> None:
    r = rule('team="infra"', 'alertname=~"Node.*"')
    target = {"alertname": "NodeDown", "team": "infra"}  # matches both sides
    two_sided_source = {"alertname": "NodeLoad", "team": "infra"}
    one_sided_source = {"alertname": "RackDown", "team": "infra"}
    assert inhibited_by(target, [two_sided_source], [r]) is None
    found = inhibited_by(target, [two_sided_source, one_sided_source], [r])
    assert found is not None and found.source_labels is one_sided_source
    # A target that only matches the target side is muted by any source.
    assert inhibited_by({"alertname": "NodeDown"}, [two_sided_source], [r]) is not None


def test_first_matching_rule_is_reported() -> None:
    never = rule('a="never"', 'severity="warning"')
    source = {"alertname": "Down", "severity": "critical"}
    target = {"alertname": "Down", "severity": "warning"}
    found = inhibited_by(target, [source], [never, CRIT_MUTES_WARN])
    assert found is not None and found.rule_index == 1 and found.rule is CRIT_MUTES_WARN


def test_generator_of_sources_is_consumed_once_per_call_safely() -> None:
    never = rule('a="never"', 'severity="warning"')
    source = {"alertname": "Down", "severity": "critical"}
    target = {"alertname": "Down", "severity": "warning"}
    found = inhibited_by(target, (s for s in [source]), [never, CRIT_MUTES_WARN])
    assert found is not None


def test_no_rules_no_inhibition() -> None:
    assert inhibited_by({"a": "1"}, [{"a": "1"}], []) is None


_values = st.sampled_from(["", "a", "b"])


@given(src_val=_values, tgt_val=_values)
def test_equal_label_property(src_val: str, tgt_val: str) -> None:
    r = rule('kind="source"', 'kind="target"', ("zone",))
    source: Mapping[str, str] = {"kind": "source", **({"zone": src_val} if src_val else {})}
    target: Mapping[str, str] = {"kind": "target", **({"zone": tgt_val} if tgt_val else {})}
    assert (inhibited_by(target, [source], [r]) is not None) is (src_val == tgt_val)
