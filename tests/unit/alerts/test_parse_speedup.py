"""The C parser of the common Alertmanager alert (`_amparse.c`) changes nothing but speed.

`AlertmanagerFormat.parse` hands each item to `_amparse.parse_item`, which builds the
IncomingAlert of a common valid alert and returns None for anything else; `_parse_item`
(Python) parses those, and every item when the module was not built: it is the
reference. Here both paths parse the same payloads and must return the same result,
field for field, errors in the same order with the same messages."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sys
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from unittest import mock

import orjson
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import warroom.alerts
from warroom.alerts import fingerprint as fp
from warroom.alerts.formats import ParseResult, require_format
from warroom.alerts.formats import alertmanager as am
from warroom.alerts.model import AlertStatus, IncomingAlert

try:
    from warroom.alerts import _amparse
except ImportError:  # pragma: no cover - depends on the install
    _amparse = None

needs_c = pytest.mark.skipif(_amparse is None, reason="the C module _amparse was not built")

AM = require_format("alertmanager")
NOW = datetime(2026, 11, 22, 21, 57, tzinfo=UTC)
START = "2026-01-01T00:00:00.000Z"
LEASE = "2099-01-01T00:00:00.000Z"


def bench_alert(ident: str) -> dict[str, Any]:
    """What Prometheus 2.42 sends (the shape of bench/ingest.py), decoded as ingest does."""
    return orjson.loads(orjson.dumps({
        "annotations": {"summary": f"bench alert {ident} is firing"},
        "endsAt": LEASE,
        "startsAt": START,
        "generatorURL": "http://prometheus:9090/graph?g0.expr=bench_up+%3D%3D+1&g0.tab=1",
        "labels": {"alertname": f"BenchAlert{ident[-1]}", "i": ident,
                   "instance": "10.0.0.1:9100", "job": "bench", "severity": "warning"},
    }))


def reference_parse(payload: object, now: datetime) -> ParseResult:
    with mock.patch.object(am, "_fast_item", None):
        return AM.parse(payload, now=now, options={})


def assert_same(got: ParseResult, want: ParseResult) -> None:
    assert got.errors == want.errors
    assert [type(e) for e in got.errors] == [type(e) for e in want.errors]
    assert len(got.alerts) == len(want.alerts)
    for a, b in zip(got.alerts, want.alerts, strict=True):
        assert type(a) is type(b) is IncomingAlert
        for f in dataclasses.fields(IncomingAlert):
            x, y = getattr(a, f.name), getattr(b, f.name)
            assert type(x) is type(y), f.name
            assert x == y, f.name
            if isinstance(x, dict):
                assert list(x.items()) == list(y.items()), f.name  # same order too
        assert a.raw is b.raw
        assert a.labels is not a.raw.get("labels") and a.annotations is not a.raw.get("annotations")
        for moment in (a.starts_at, a.ends_at):
            assert moment is None or moment.tzinfo is UTC
        assert a == b


def assert_parses_alike(payload: object, now: datetime = NOW) -> None:
    try:
        want = reference_parse(payload, now)
    except Exception as exc:  # e.g. a non-str key (JSON has none): the same error either way
        with pytest.raises(type(exc)) as raised:
            AM.parse(payload, now=now, options={})
        assert str(raised.value) == str(exc)
        return
    assert_same(AM.parse(payload, now=now, options={}), want)


# --- payloads -------------------------------------------------------------------------
# A valid alert as Prometheus would send it, then up to three changes that may or may not
# make it one the C path declines: the edge between the two paths is where they could
# disagree.

NAMES = st.sampled_from(["alertname", "severity", "job", "instance", "i", "_x", "A9_b", "summary",
                         "title"]) | st.from_regex(r"[a-zA-Z_][a-zA-Z0-9_]{0,12}", fullmatch=True)
_ODD_NAMES = st.sampled_from(["", "1abc", "9", "a-b", "a.b", "é", "a b", "a\x00b", "\ud800",
                              "ab\n", "\U0001F600", "x\u0660"])
ODD_NAMES = st.one_of(_ODD_NAMES, _ODD_NAMES, st.text(max_size=6))
# Values hold any code point but lone surrogates, which strict UTF-8 refuses.
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
_ODD_TEXT = st.sampled_from(["", "\ud800", "\udc00", "a\udfffb", "\udbff\udc00",
                             "\U0001F600\udc00", "\U0001F600\udbff", "é€😀", "\U0010FFFF", "\x00",
                             "\x7f\x80", "x" * 300])
ODD_TEXT = st.one_of(_ODD_TEXT, _ODD_TEXT,
                     st.text(st.characters(blacklist_categories=()), max_size=12))
NON_STRINGS = (st.none() | st.integers() | st.booleans() | st.floats(allow_nan=False)
               | st.lists(st.integers(), max_size=2)
               | st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))


def timestamps(now: datetime) -> st.SearchStrategy[Any]:
    """Valid ones (zone offsets, fractions, zero time, around `now`) and invalid ones."""
    moments = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1))
    zones = st.sampled_from([UTC, timezone(timedelta(hours=2)),
                             timezone(timedelta(hours=-5, minutes=-30))])
    rendered = st.builds(
        lambda m, tz, spec: m.replace(tzinfo=tz).isoformat(timespec=spec).replace("+00:00", "Z"),
        moments, zones, st.sampled_from(["seconds", "milliseconds", "microseconds"]))
    near = st.builds(lambda d: (now + timedelta(seconds=d)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                     st.integers(-600, 600) | st.just(0))
    return (st.sampled_from([START, LEASE, "0001-01-01T00:00:00Z", "0001-01-01T00:00:00.000Z",
                             "2026-11-22T21:57:00Z", "2026-11-22T23:57:00+02:00",
                             "2026-11-22T21:57:00", " 2026-11-22T21:57:00Z ",
                             "2026-11-22T21:57:00.123456789Z", "2026-13-01T00:00:00Z",
                             "2026-02-30T00:00:00Z", "yesterday", "", "\ud800",
                             "٢٠٢٦-11-22T21:57:00Z", "0001-01-01T00:30:00+01:00"])
            | rendered | near)


def valid_alerts(now: datetime) -> st.SearchStrategy[dict[str, Any]]:
    nonempty = TEXT.filter(bool)
    labels = st.builds(lambda name, rest: {"alertname": name, **rest},
                       nonempty, st.dictionaries(NAMES, nonempty, max_size=20))
    times = timestamps(now)
    return st.fixed_dictionaries(
        {"labels": labels},
        optional={"annotations": st.dictionaries(NAMES, TEXT, max_size=4), "startsAt": times,
                  "endsAt": times, "generatorURL": st.just("http://prometheus:9090/graph") | TEXT},
    )


@st.composite
def changes(draw: st.DrawFn, item: dict[str, Any], now: datetime) -> None:
    key = draw(st.sampled_from(["labels", "annotations", "startsAt", "endsAt", "generatorURL",
                                "other"]))
    what = draw(st.integers(0, 4))
    if key in ("labels", "annotations"):
        target = item.get(key)
        if what == 0 or not isinstance(target, dict):
            item[key] = draw(NON_STRINGS
                             | st.dictionaries(NAMES | ODD_NAMES, TEXT | ODD_TEXT, max_size=3))
        elif what == 1 and target:
            del target[draw(st.sampled_from(sorted(target)))]  # e.g. the alertname
        elif what == 2:
            target[draw(ODD_NAMES)] = draw(TEXT)
        elif what == 3:
            target[draw(NAMES)] = draw(ODD_TEXT)
        else:
            target[draw(NAMES | ODD_NAMES)] = draw(TEXT | ODD_TEXT | NON_STRINGS)
    elif key == "other":
        item[draw(st.text(max_size=6))] = draw(NON_STRINGS | TEXT)
    elif what == 0:
        item.pop(key, None)
    elif key == "generatorURL":
        item[key] = draw(st.sampled_from(["", "\ud800x"]) | NON_STRINGS | ODD_TEXT)
    else:
        item[key] = draw(timestamps(now) | NON_STRINGS)


@st.composite
def items(draw: st.DrawFn, now: datetime = NOW) -> Any:
    if draw(st.integers(0, 9)) == 0:  # not an object at all
        return draw(NON_STRINGS | TEXT)
    item = draw(valid_alerts(now))
    for _ in range(draw(st.integers(0, 3))):
        draw(changes(item, now))
    return item


# The clock may come in any zone: parse converts it to UTC first.
NOWS = st.just(NOW) | st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2100, 1, 1),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=-3))]))


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(items(), max_size=6), NOWS)
@example([bench_alert("a1_1")], NOW)
@example([{"labels": {"alertname": "X", "empty": ""}}], NOW)
@example([{"labels": {"alertname": "X"}, "annotations": {"a": "\ud800"}}], NOW)
@example([{"labels": {"alertname": "X"}, "startsAt": LEASE, "endsAt": START}], NOW)
@example([{"labels": {"alertname": "X"}, "endsAt": "2026-11-22T21:57:00Z"}], NOW)
@example([{"labels": {"alertname": "X"}, "startsAt": "0001-01-01T00:00:00Z"}], NOW)
@example([{"labels": {"job": "x"}, "annotations": {"summary": ""}}], NOW)
@example([{"labels": {"alertname": "é€😀\U0010FFFF", "1abc": "x"}},
          {"labels": {"alertname": "x"}, "annotations": {"9": "x", "s": "a\udfffb"}}], NOW)
def test_fast_and_reference_paths_agree(payload: list[Any], now: datetime) -> None:
    assert_parses_alike(payload, now)


@settings(max_examples=400, deadline=None)
@given(valid_alerts(NOW), st.sampled_from(["labels", "annotations"]), NAMES | ODD_NAMES,
       TEXT | ODD_TEXT)
def test_alerts_with_one_odd_entry_agree(item: dict[str, Any], key: str, name: str,
                                         value: str) -> None:
    # Where the C path's checks of names and values decide: one entry may make it decline.
    item.setdefault(key, {})[name] = value
    assert_parses_alike([item])


class Text(str):
    pass


class Map(dict):  # type: ignore[type-arg]
    pass


@pytest.mark.parametrize("item", [
    Map(bench_alert("a")),
    {**bench_alert("a"), "labels": Map(bench_alert("a")["labels"])},
    {**bench_alert("a"), "annotations": Map(summary="s")},
    {**bench_alert("a"), "labels": {"alertname": Text("x")}},
    {**bench_alert("a"), "labels": {Text("alertname"): "x"}},
    {**bench_alert("a"), "generatorURL": Text("http://x")},
    {**bench_alert("a"), "startsAt": Text(START)},
    {**bench_alert("a"), 1: "x", None: [], (1, 2): {}},
    {**bench_alert("a"), "labels": {"alertname": "x", 1: "y"}},
    {**bench_alert("a"), "annotations": {1: "y"}},
    {**bench_alert("a"), "labels": {"alertname": "x" * 1_000_000, "v": "\U0001F600" * 100_000}},
    {**bench_alert("a"), "annotations": {"summary": "é" * 1_000_000 + "\ud800"}},
    {"labels": {"job": "x", "instance": "y"}},  # no summary source: the label set is joined
    {"labels": {"alertname": "x"}, "annotations": None, "startsAt": None, "endsAt": None},
    {"labels": {"alertname": "x"}, "annotations": {"title": "t", "summary": ""}},
])
def test_odd_items_agree(item: object) -> None:
    assert_parses_alike([item, bench_alert("b")])


def test_content_hash_from_is_the_original_definition() -> None:
    # content_hash now delegates to content_hash_from; this is the formula it replaced.
    labels, annotations = {"b": "2", "a": "é"}, {"summary": "s \u2028 \x01"}
    ends = datetime(2026, 1, 1, 1, tzinfo=timezone(timedelta(hours=1)))
    for status in ("firing", "resolved", AlertStatus.RESOLVED):
        doc = {"v": 1, "labels": labels, "annotations": annotations, "status": str(status),
               "ends_at": "2026-01-01T00:00:00.000000Z" if status == "resolved" else None,
               "summary": "s", "severity": None}
        want = hashlib.sha256(orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)).hexdigest()
        assert fp.content_hash(labels=labels, annotations=annotations, status=status, ends_at=ends,
                               summary="s", severity=None) == want
        assert fp.content_hash_from(labels, annotations, str(status), ends, "s", None) == want
    surrogate = {"a": "\ud800"}  # orjson refuses it: json with surrogatepass
    doc = {"v": 1, "labels": surrogate, "annotations": {}, "status": "firing", "ends_at": None,
           "summary": "s", "severity": None}
    text = json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert fp.content_hash(labels=surrogate, annotations={}, status="firing", ends_at=None,
                           summary="s", severity=None) == \
        hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


# --- the C path is really taken -------------------------------------------------------


@needs_c
def test_the_parser_uses_the_c_path_for_a_bench_alert() -> None:
    assert am._fast_item is _amparse.parse_item
    item = bench_alert("a1_1")
    alert = _amparse.parse_item(item, NOW, "alertmanager")
    assert isinstance(alert, IncomingAlert)
    assert alert.fingerprint == fp.python_label_fingerprint(item["labels"])
    with mock.patch.object(am, "_parse_item", side_effect=AssertionError("Python path taken")):
        result = AM.parse([bench_alert(f"a{i}") for i in range(50)], now=NOW, options={})
    assert len(result.alerts) == 50 and not result.errors


@needs_c
@pytest.mark.parametrize("item", [
    None, 1, "x", [], [bench_alert("a")], Map(bench_alert("a")),
    {**bench_alert("a"), "labels": {}},
    {**bench_alert("a"), "labels": {"alertname": ""}},
    {**bench_alert("a"), "labels": {"alertname": "\ud800"}},
    {**bench_alert("a"), "labels": {"bad-name": "x"}},
    {**bench_alert("a"), "annotations": {"bad-name": "x"}},
    {**bench_alert("a"), "endsAt": "not a time"},
    {**bench_alert("a"), "startsAt": 5},
    {**bench_alert("a"), "startsAt": LEASE, "endsAt": START},
    {**bench_alert("a"), "generatorURL": 1},
    {"labels": {"job": "x"}},
])
def test_the_c_path_declines_what_it_does_not_know(item: object) -> None:
    assert _amparse.parse_item(item, NOW, "alertmanager") is None


@needs_c
def test_the_c_path_checks_its_arguments() -> None:
    with pytest.raises(TypeError):
        _amparse.parse_item(bench_alert("a"), NOW)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        _amparse.configure(object, 1, 2, 3, 4, 5)  # no slots: refused, nothing changed
    assert isinstance(_amparse.parse_item(bench_alert("a"), NOW, "alertmanager"), IncomingAlert)


@needs_c
def test_the_c_path_keeps_no_references() -> None:
    item = bench_alert("a1_1")
    bad = {**bench_alert("a1_2"), "endsAt": "not a time"}
    watched = [item, item["labels"], item["labels"]["i"], item["annotations"]["summary"],
               item["generatorURL"], item["startsAt"], bad, bad["labels"], bad["endsAt"]]
    before = [sys.getrefcount(x) for x in watched]
    for _ in range(2000):
        assert _amparse.parse_item(item, NOW, "alertmanager") is not None
        assert _amparse.parse_item(bad, NOW, "alertmanager") is None
    assert [sys.getrefcount(x) for x in watched] == before


# --- without the C module ----------------------------------------------------------------


def test_without_the_c_module_the_python_path_parses_everything(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "warroom.alerts._amparse", None)  # import fails
    monkeypatch.delattr(warroom.alerts, "_amparse", raising=False)
    assert am._speedup() is None
    payload = [bench_alert(f"a{i}") for i in range(20)] + [{"labels": {}}, 3]
    with mock.patch.object(am, "_fast_item", None):
        python = AM.parse(payload, now=NOW, options={})
    assert len(python.alerts) == 20 and [e.index for e in python.errors] == [20, 21]
    assert_same(AM.parse(payload, now=NOW, options={}), python)


def test_the_install_built_the_parse_module_and_the_parser_uses_it() -> None:
    """`pip install` builds it when a compiler is there, as on this project's machines
    and CI (`.ci/run` installs one): an install that lost it fails here instead of
    silently parsing ~3.5x slower, as the fingerprint module's tests do."""
    import importlib

    importlib.import_module("warroom.alerts._amparse")
    assert am._fast_item is not None
