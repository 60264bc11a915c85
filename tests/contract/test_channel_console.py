"""Console channel: one line per message on the given stream."""

from __future__ import annotations

import io
import logging

import httpx
import pytest

from tests.contract.fakes import (  # noqa: F401 (fixtures)
    fixture_http,
    make_message,
    make_recipient,
)
from warroom.notify.channels.console import ConsoleChannel
from warroom.notify.channels.registry import build_channel
from warroom.notify.config import ConsoleConfig


def test_page_is_one_line_with_ack_link(http: httpx.Client) -> None:
    stream = io.StringIO()
    receipt = ConsoleChannel(ConsoleConfig(), stream=stream).send(
        make_message("console", summary="line one\nline two"), make_recipient(), http=http
    )
    out = stream.getvalue()
    assert out.count("\n") == 1
    assert out.startswith("-> Ann Example (p-ann): PAGE INC-42 [SEV1]")
    assert "ack: https://warroom.example/a/tok123?do=ack&x=1" in out
    assert receipt.detail == "written"


def test_log_target_writes_to_logger(http: httpx.Client, caplog: pytest.LogCaptureFixture) -> None:
    ch = build_channel(ConsoleConfig(target="log", logger="warroom.test.console"))
    with caplog.at_level(logging.INFO, logger="warroom.test.console"):
        ch.send(make_message("console"), make_recipient(), http=http)
    assert "INC-42" in caplog.text
