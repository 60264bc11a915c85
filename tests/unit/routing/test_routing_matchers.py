import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warroom.routing.matchers import (
    Matcher,
    MatcherError,
    MatchType,
    format_matchers,
    matches_all,
    parse_matcher,
    parse_matchers,
)

EQ, NE, RE, NRE = MatchType.EQUAL, MatchType.NOT_EQUAL, MatchType.REGEX, MatchType.NOT_REGEX


# --- matching semantics -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("matcher", "labels", "expected"),
    [
        (Matcher("a", EQ, "x"), {"a": "x"}, True),
        (Matcher("a", EQ, "x"), {"a": "y"}, False),
        (Matcher("a", EQ, "x"), {}, False),
        (Matcher("a", EQ, ""), {}, True),  # missing label is the empty string
        (Matcher("a", EQ, ""), {"a": ""}, True),
        (Matcher("a", EQ, ""), {"a": "x"}, False),
        (Matcher("a", NE, "x"), {"a": "y"}, True),
        (Matcher("a", NE, "x"), {}, True),
        (Matcher("a", NE, "x"), {"a": "x"}, False),
        (Matcher("a", NE, ""), {}, False),
        (Matcher("a", NE, ""), {"a": "v"}, True),
        (Matcher("a", RE, "x.*"), {"a": "xyz"}, True),
        (Matcher("a", RE, "x.*"), {"a": "axyz"}, False),  # anchored at the start
        (Matcher("a", RE, "x"), {"a": "xx"}, False),  # anchored at the end
        (Matcher("a", RE, "a|b"), {"a": "b"}, True),
        (Matcher("a", RE, "a|b"), {"a": "ab"}, False),  # alternation inside the group
        (Matcher("a", RE, ".*"), {}, True),
        (Matcher("a", RE, ".+"), {}, False),
        (Matcher("a", RE, ""), {}, True),
        (Matcher("a", NRE, "x.*"), {"a": "xyz"}, False),
        (Matcher("a", NRE, "x.*"), {"a": "yxz"}, True),
        (Matcher("a", NRE, ".+"), {}, True),
        (Matcher("a", RE, "x"), {"a": "x\n"}, False),  # $ is end of text, not before \n
        (Matcher("a", RE, "x.y"), {"a": "x\ny"}, False),  # . does not match newline (Go)
        (Matcher("a", RE, r"\d+"), {"a": "123"}, True),
        (Matcher("a", RE, "ü+"), {"a": "üü"}, True),
    ],
)
def test_matches(matcher: Matcher, labels: dict[str, str], expected: bool) -> None:
    assert matcher.matches(labels) is expected


def test_matches_all_requires_every_matcher_and_empty_matches_everything() -> None:
    ms = [Matcher("a", EQ, "1"), Matcher("b", RE, "x|y")]
    assert matches_all(ms, {"a": "1", "b": "y"})
    assert not matches_all(ms, {"a": "1", "b": "z"})
    assert not matches_all(ms, {"a": "2", "b": "x"})
    assert matches_all([], {"anything": "at all"})


def test_invalid_regex_raises_matcher_error_with_pattern() -> None:
    with pytest.raises(MatcherError, match=r'invalid regular expression "\(a"'):
        Matcher("a", RE, "(a")
    assert issubclass(MatcherError, ValueError)


def test_regex_cannot_escape_its_anchoring_group() -> None:
    # "^(?:a)|(b)$" would compile and match "a..." unanchored; we reject the bare pattern.
    with pytest.raises(MatcherError):
        Matcher("a", RE, "a)|(b")


def test_backreferences_are_rejected_by_re2() -> None:
    with pytest.raises(MatcherError):
        Matcher("a", RE, r"(a)\1")


def test_empty_name_rejected_and_type_coerced_from_string() -> None:
    with pytest.raises(MatcherError):
        Matcher("", EQ, "x")
    m = Matcher("a", "=~", "x")  # type: ignore[arg-type]
    assert m.type is RE
    with pytest.raises(MatcherError, match="operator"):
        Matcher("a", "==", "x")  # type: ignore[arg-type]


def test_equality_ignores_compiled_regex_and_is_hashable() -> None:
    assert Matcher("a", RE, "x+") == Matcher("a", RE, "x+")
    assert len({Matcher("a", RE, "x+"), Matcher("a", RE, "x+")}) == 1
    assert Matcher("a", RE, "x") != Matcher("a", EQ, "x")


# --- parsing --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('foo="bar"', Matcher("foo", EQ, "bar")),
        ("foo=bar", Matcher("foo", EQ, "bar")),
        ('foo!="bar"', Matcher("foo", NE, "bar")),
        ('foo=~"x.*"', Matcher("foo", RE, "x.*")),
        ('foo!~"a|b"', Matcher("foo", NRE, "a|b")),
        ("foo!~a|b", Matcher("foo", NRE, "a|b")),
        ("  foo  =~  bar  ", Matcher("foo", RE, "bar")),
        ('foo=""', Matcher("foo", EQ, "")),
        ("foo=", Matcher("foo", EQ, "")),
        ('foo="say \\"hi\\""', Matcher("foo", EQ, 'say "hi"')),
        ('foo="back\\\\slash"', Matcher("foo", EQ, "back\\slash")),
        ('foo="line\\nbreak"', Matcher("foo", EQ, "line\nbreak")),
        ('foo=~"\\d+"', Matcher("foo", RE, "\\d+")),  # spurious escape stays literal
        ('foo="a,b}"', Matcher("foo", EQ, "a,b}")),
        ('{foo="bar"}', Matcher("foo", EQ, "bar")),
        ('"service.name"="api"', Matcher("service.name", EQ, "api")),
        ('"ünïcode label"!="ü"', Matcher("ünïcode label", NE, "ü")),
        ("_x9=1", Matcher("_x9", EQ, "1")),
    ],
)
def test_parse_matcher(text: str, expected: Matcher) -> None:
    assert parse_matcher(text) == expected


def test_parse_matchers_braces_commas_and_trailing_comma() -> None:
    expected = [Matcher("foo", EQ, "bar"), Matcher("baz", RE, "x.*"), Matcher("q", NE, "1")]
    assert parse_matchers('{foo="bar", baz=~"x.*", q!=1}') == expected
    assert parse_matchers('foo="bar",baz=~"x.*",q!=1,') == expected
    assert parse_matchers(' { foo = bar , baz =~ "x.*" , q != "1" , } ') == expected


@pytest.mark.parametrize("text", ["", "   ", "{}", " { } "])
def test_parse_matchers_empty(text: str) -> None:
    assert parse_matchers(text) == []


@pytest.mark.parametrize(
    ("text", "position", "fragment"),
    [
        ("9foo=bar", 0, "label name"),
        ("foo bar", 4, "expected one of"),
        ("foo", 3, "end of input"),
        ('foo="bar', 4, "unterminated"),
        ('foo="bar\\"', 4, "unterminated"),
        ('{foo="bar"', 10, "closing"),
        ('foo="bar"}', 9, "unexpected"),
        ('foo="a" bar="b"', 8, "expected ','"),
        ('""="x"', 0, "must not be empty"),
        ('a="1", b=~"("', 7, "regular expression"),
        ("foo=bar baz", 8, "expected ','"),
        ("foo.bar=1", 3, "expected one of"),
    ],
)
def test_parse_errors_carry_position(text: str, position: int, fragment: str) -> None:
    with pytest.raises(MatcherError) as info:
        parse_matchers(text)
    assert info.value.position == position
    assert fragment in str(info.value)
    assert f"position {position}" in str(info.value)


@pytest.mark.parametrize("text", ["", "a=1,b=2", "{}"])
def test_parse_matcher_requires_exactly_one(text: str) -> None:
    with pytest.raises(MatcherError, match="exactly one"):
        parse_matcher(text)


# --- rendering and API shape ----------------------------------------------------------


def test_str_quotes_values_and_escapes() -> None:
    assert str(Matcher("foo", EQ, "bar")) == 'foo="bar"'
    assert str(Matcher("foo", NE, 'a"b\\c\nd')) == 'foo!="a\\"b\\\\c\\nd"'
    assert str(Matcher("service.name", EQ, "x")) == '"service.name"="x"'
    assert format_matchers([Matcher("a", EQ, "1"), Matcher("b", RE, "2")]) == '{a="1", b=~"2"}'


@pytest.mark.parametrize(
    ("match_type", "is_regex", "is_equal"),
    [(EQ, False, True), (NE, False, False), (RE, True, True), (NRE, True, False)],
)
def test_api_shape_round_trip(match_type: MatchType, is_regex: bool, is_equal: bool) -> None:
    m = Matcher("alertname", match_type, "Foo")
    data = m.to_dict()
    assert data == {"name": "alertname", "value": "Foo", "isRegex": is_regex, "isEqual": is_equal}
    assert Matcher.from_api(data) == m


def test_from_api_is_equal_defaults_to_true() -> None:
    assert Matcher.from_api({"name": "a", "value": "x", "isRegex": False}).type is EQ
    assert Matcher.from_api({"name": "a", "value": "x.*", "isRegex": True}).type is RE


@pytest.mark.parametrize(
    "data",
    [
        {"value": "x", "isRegex": False},
        {"name": "", "value": "x", "isRegex": False},
        {"name": "a", "isRegex": False},
        {"name": "a", "value": 3, "isRegex": False},
        {"name": "a", "value": "x", "isRegex": "yes"},
        {"name": "a", "value": "(", "isRegex": True},
    ],
)
def test_from_api_rejects_bad_shapes(data: dict[str, object]) -> None:
    with pytest.raises(MatcherError):
        Matcher.from_api(data)


# --- properties -----------------------------------------------------------------------

_names = st.one_of(
    st.from_regex(r"[a-zA-Z_][a-zA-Z0-9_]{0,10}", fullmatch=True),
    st.text(min_size=1, max_size=12),
)
_literal_types = st.sampled_from([EQ, NE])


@given(name=_names, match_type=_literal_types, value=st.text(max_size=20))
def test_parse_of_str_round_trips(name: str, match_type: MatchType, value: str) -> None:
    m = Matcher(name, match_type, value)
    assert parse_matcher(str(m)) == m


@given(name=_names, match_type=st.sampled_from([RE, NRE]), literal=st.text(max_size=12))
def test_parse_of_str_round_trips_for_regexes(
    name: str, match_type: MatchType, literal: str
) -> None:
    m = Matcher(name, match_type, re.escape(literal).replace("\\\n", "\\n"))
    assert parse_matcher(str(m)) == m


@given(st.lists(st.tuples(_names, _literal_types, st.text(max_size=8)), max_size=5))
def test_format_matchers_round_trips(items: list[tuple[str, MatchType, str]]) -> None:
    ms = [Matcher(*item) for item in items]
    assert parse_matchers(format_matchers(ms)) == ms


_safe = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=10)


@given(literal=_safe, prefix=_safe, suffix=_safe)
def test_escaped_regex_is_fully_anchored(literal: str, prefix: str, suffix: str) -> None:
    m = Matcher("a", RE, re.escape(literal))
    assert m.matches({"a": literal})
    surrounded = prefix + literal + suffix
    assert m.matches({"a": surrounded}) is (surrounded == literal)
    negated = Matcher("a", NRE, re.escape(literal))
    assert negated.matches({"a": surrounded}) is (surrounded != literal)


@given(value=st.text(max_size=10), other=st.text(max_size=10))
def test_equal_and_not_equal_are_complements(value: str, other: str) -> None:
    labels = {"a": other}
    assert Matcher("a", EQ, value).matches(labels) is not Matcher("a", NE, value).matches(labels)
