"""Email over SMTP (stdlib smtplib: the channel contract is synchronous, like httpx.Client)."""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate

import httpx

from warroom.notify.channels.base import DeliveryReceipt
from warroom.notify.config import EmailConfig
from warroom.notify.errors import PermanentDeliveryError, RetryableDeliveryError
from warroom.notify.message import Message, Recipient

_DOMAIN = "warroom.invalid"


def build_email(message: Message, recipient: Recipient, sender: str) -> EmailMessage:
    """The MIME message: text part, HTML alternative, threaded per incident."""
    if not recipient.email:
        raise PermanentDeliveryError(f"email: person {recipient.person_id} has no email address")
    mail = EmailMessage()
    mail["Subject"] = message.subject or message.title
    mail["From"] = sender
    try:
        mail["To"] = Address(display_name=recipient.name, addr_spec=recipient.email)
    except (ValueError, IndexError) as exc:
        raise PermanentDeliveryError(
            f"email: person {recipient.person_id} has an invalid email address"
        ) from exc
    mail["Date"] = formatdate(localtime=False)
    # A stable Message-ID per delivery lets mail clients drop a resend after a lost reply;
    # References to the incident thread every page of one incident together.
    key = hashlib.sha256(message.idempotency_key.encode()).hexdigest()[:32]
    incident = hashlib.sha256(message.incident_id.encode()).hexdigest()[:32]
    mail["Message-ID"] = f"<{key}@{_DOMAIN}>"
    mail["References"] = f"<incident-{incident}@{_DOMAIN}>"
    mail["X-Warroom-Incident"] = message.incident_ref
    mail["X-Warroom-Kind"] = message.kind
    mail.set_content(message.text or message.subject)
    if message.html:
        mail.add_alternative(message.html, subtype="html")
    return mail


class EmailChannel:
    """Submits one email per delivery to the configured SMTP server."""

    type = "email"

    def __init__(self, config: EmailConfig) -> None:
        self.config = config

    def send(
        self, message: Message, recipient: Recipient, *, http: httpx.Client
    ) -> DeliveryReceipt:
        mail = build_email(message, recipient, self.config.from_)
        password = self.config.optional_secret("password_env")
        try:
            with self._connect() as smtp:
                if self.config.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.config.username and password is not None:
                    smtp.login(self.config.username, password)
                refused = smtp.send_message(mail)
        except smtplib.SMTPNotSupportedError as exc:
            raise PermanentDeliveryError(f"email: server does not support it: {exc}") from exc
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()))
            raise _by_code("recipient refused", code, reply) from exc
        except smtplib.SMTPResponseException as exc:  # auth, sender, data, helo errors
            raise _by_code(type(exc).__name__, exc.smtp_code, exc.smtp_error) from exc
        except ssl.SSLCertVerificationError as exc:
            raise PermanentDeliveryError(f"email: TLS certificate rejected: {exc}") from exc
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            # Timeouts, refused connections, disconnects: the server may be back soon.
            raise RetryableDeliveryError(f"email: {type(exc).__name__}: {exc}") from exc
        if refused:
            code, reply = next(iter(refused.values()))
            raise _by_code("recipient refused", code, reply)
        return DeliveryReceipt(provider_id=mail["Message-ID"], detail="accepted")

    def _connect(self) -> smtplib.SMTP:
        host, port, timeout = self.config.host, self.config.port, self.config.timeout or 10.0
        if self.config.ssl:
            return smtplib.SMTP_SSL(
                host, port, timeout=timeout, context=ssl.create_default_context()
            )
        return smtplib.SMTP(host, port, timeout=timeout)


def _by_code(
    what: str, code: int, reply: bytes | str
) -> PermanentDeliveryError | RetryableDeliveryError:
    # SMTP's own split: 4yz is transient, 5yz is permanent.
    text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
    reason = f"email: {what}: {code} {text}"
    if 400 <= code < 500:
        return RetryableDeliveryError(reason)
    return PermanentDeliveryError(reason)
