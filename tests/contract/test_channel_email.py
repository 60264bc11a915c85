"""Email channel against a real SMTP server (aiosmtpd) on a loopback port."""

from __future__ import annotations

import httpx
import pytest

from tests.contract.fakes import (  # noqa: F401 (fixtures)
    FakeSMTP,
    fixture_fake_smtp,
    fixture_http,
    fixture_smtp_server,
    free_port,
    make_message,
    make_recipient,
)
from warroom.notify.channels.registry import build_channel
from warroom.notify.config import EmailConfig
from warroom.notify.errors import PermanentDeliveryError, RetryableDeliveryError


def channel(port: int, **fields: object):
    values = {
        "host": "127.0.0.1",
        "port": port,
        "starttls": False,
        "timeout": 0.5,
        "from": "warroom@example.com",
    } | fields
    return build_channel(EmailConfig(**values))


def test_page_arrives_with_subject_links_and_both_parts(
    fake_smtp: FakeSMTP, http: httpx.Client
) -> None:
    receipt = channel(fake_smtp.port).send(make_message("email"), make_recipient(), http=http)

    mail_from, rcpt_tos, mail = fake_smtp.received[-1]
    assert mail_from == "warroom@example.com" and rcpt_tos == ["ann@example.com"]
    assert mail["Subject"] == "[SEV1] INC-42: Checkout <script>alert(1)</script> 5xx & rising"
    assert mail["Message-ID"] == receipt.provider_id
    text = mail.get_body(preferencelist=("plain",)).get_content()
    html = mail.get_body(preferencelist=("html",)).get_content()
    assert "Acknowledge: https://warroom.example/a/tok123?do=ack&x=1" in text
    assert 'href="https://warroom.example/a/tok123?do=ack&amp;x=1"' in html
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_same_delivery_keeps_its_message_id(fake_smtp: FakeSMTP, http: httpx.Client) -> None:
    ch = channel(fake_smtp.port)
    first = ch.send(make_message("email"), make_recipient(), http=http)
    second = ch.send(make_message("email"), make_recipient(), http=http)
    assert first.provider_id == second.provider_id
    assert fake_smtp.received[0][2]["References"] == fake_smtp.received[1][2]["References"]


def test_person_without_email_is_permanent(fake_smtp: FakeSMTP, http: httpx.Client) -> None:
    with pytest.raises(PermanentDeliveryError, match="no email"):
        channel(fake_smtp.port).send(make_message("email"), make_recipient(email=None), http=http)
    assert fake_smtp.received == []


@pytest.mark.parametrize(
    ("stage", "reply", "error"),
    [
        ("rcpt", "550 5.1.1 no such user", PermanentDeliveryError),
        ("rcpt", "451 4.3.0 try again later", RetryableDeliveryError),
        ("data", "554 5.7.1 rejected as spam", PermanentDeliveryError),
        ("data", "452 4.3.1 insufficient storage", RetryableDeliveryError),
    ],
)
def test_smtp_reply_class_decides_permanence(
    fake_smtp: FakeSMTP, http: httpx.Client, stage: str, reply: str, error: type[Exception]
) -> None:
    setattr(fake_smtp.reply, stage, reply)
    with pytest.raises(error, match=reply.split()[0]):
        channel(fake_smtp.port).send(make_message("email"), make_recipient(), http=http)


def test_slow_server_times_out_as_retryable(fake_smtp: FakeSMTP, http: httpx.Client) -> None:
    fake_smtp.reply.delay = 2.0
    with pytest.raises(RetryableDeliveryError):
        channel(fake_smtp.port, timeout=0.3).send(
            make_message("email"), make_recipient(), http=http
        )


def test_connection_refused_is_retryable(http: httpx.Client) -> None:
    with pytest.raises(RetryableDeliveryError):
        channel(free_port()).send(make_message("email"), make_recipient(), http=http)


def test_starttls_unsupported_is_permanent(fake_smtp: FakeSMTP, http: httpx.Client) -> None:
    with pytest.raises(PermanentDeliveryError, match="STARTTLS"):
        channel(fake_smtp.port, starttls=True).send(
            make_message("email"), make_recipient(), http=http
        )


def test_missing_password_is_permanent(fake_smtp: FakeSMTP, http: httpx.Client) -> None:
    ch = channel(fake_smtp.port, username="warroom", password_env="SMTP_PASSWORD")
    with pytest.raises(PermanentDeliveryError, match="SMTP_PASSWORD"):
        ch.send(make_message("email"), make_recipient(), http=http)
