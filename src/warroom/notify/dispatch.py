"""Sending claimed deliveries: claim in one transaction, send outside any transaction,
record the outcome in another. A crash mid-send leaves the row leased; when the lease
expires it is sent again (at-least-once), with the same idempotency key."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from pydantic import TypeAdapter
from sqlalchemy import select
from sqlalchemy.orm import lazyload

from warroom.clock import utcnow
from warroom.config import WarroomConfig
from warroom.db import Database
from warroom.incidents.models import Incident
from warroom.links.tokens import LinkSigner, link_url, signing_secret
from warroom.notify import service
from warroom.notify.models import Delivery
from warroom.settings import Settings, environment

log = logging.getLogger("warroom.notify")


@dataclass(frozen=True)
class _Job:
    delivery_id: int
    channel_id: str
    message: Any
    recipient: Any


class Dispatcher:
    """Owns the channel plugins and an HTTP client; `run_once` is the engine job.

    A claim's sends run on up to `concurrency` threads: a provider answers in tens to
    hundreds of milliseconds, and one at a time that would cap a burst's pages at a few per
    second per provider. Channels are stateless and the HTTP client is thread-safe.
    """

    def __init__(self, db: Database, config: WarroomConfig, settings: Settings, *,
                 http: httpx.Client | None = None, environ: Mapping[str, str] | None = None,
                 rng: random.Random | None = None, metrics: Any = None,
                 concurrency: int = 8) -> None:
        self.db, self.config, self.settings = db, config, settings
        self.http = http or httpx.Client(timeout=10.0)
        self.environ = environ if environ is not None else environment()
        self.rng = rng or random.Random()
        self.metrics = metrics
        self.channel_types = config.channel_types()
        self.fallbacks = {str(c["id"]): str(c["fallback"]) for c in config.channels
                          if c.get("fallback")}
        self.people = {p.id: p for p in config.people}
        self._channels: dict[str, Any] = {}
        self._models: dict[str, Any] = {}
        self.base_url = (settings.public_url or settings.listen_url).rstrip("/")
        self._secret: str | None = None  # the link-signing secret, read once
        self.concurrency = concurrency
        self._pool: ThreadPoolExecutor | None = None

    def channel(self, channel_id: str) -> Any:
        if channel_id not in self._channels:
            from warroom.notify.channels.registry import build_channel
            from warroom.notify.config import ChannelConfig

            raw = next(c for c in self.config.channels if c["id"] == channel_id)
            # `id` and `fallback` are warroom's; the webhook secrets of the chat-ops endpoints
            # belong to the inbound side, not to the channel plugin.
            fields = {k: v for k, v in raw.items()
                      if k not in ("id", "fallback", "signing_secret_env")}
            model = TypeAdapter(ChannelConfig).validate_python(fields)
            model = model.resolve_secrets(self.environ)
            self._models[channel_id] = model
            self._channels[channel_id] = build_channel(model)
        return self._channels[channel_id]

    def _message(self, row: Delivery, incident: Incident, signer: LinkSigner) -> tuple[Any, Any]:
        from warroom.notify.message import Message, Recipient
        from warroom.notify.render import render

        person = self.people.get(row.person_id)
        recipient = Recipient(
            person_id=row.person_id, name=person.name if person else row.person_id,
            email=person.email if person else None, phone=person.phone if person else None,
            chat=dict(person.chat) if person else {},
            timezone=person.timezone if person else "UTC")
        iid = str(incident.id)
        message = Message(
            idempotency_key=row.idempotency_key, kind=row.kind, incident_id=iid,
            incident_ref=incident.reference, title=incident.title, severity=incident.severity,
            status=incident.status, summary=incident.description or incident.title,
            incident_url=f"{self.base_url}/api/v1/incidents/{incident.reference}",
            ack_url=link_url(self.base_url, signer.sign(iid, "acknowledge", row.person_id)),
            resolve_url=link_url(self.base_url, signer.sign(iid, "resolve", row.person_id)),
            level=row.level, subject="", text="", html=None, extra={},
        )
        self.channel(row.channel_id)
        overrides = getattr(self._models[row.channel_id], "templates", None) or None
        return render(message, row.channel_type, overrides=overrides), recipient

    def run_once(self, now: datetime | None = None, limit: int = 50,
                 pause: Callable[[], None] | None = None) -> int:
        """Send what is due; returns how many sends were attempted. `now` (tests, benches)
        pins the clock for claiming and recording; by default both read the wall clock.
        `pause` is called before each transaction and each send: the engine makes it wait
        while timers are being fired, so sending never delays the next step."""
        pause = pause or (lambda: None)
        pause()
        pinned = now
        now = now or utcnow()
        with self.db.transaction() as session:
            rows = service.claim(session, now, limit)
            if not rows:
                return 0
            if self._secret is None:
                self._secret = signing_secret(session, now, self.settings.secret_key)
            incidents = {i.id: i for i in session.scalars(
                select(Incident).where(Incident.id.in_({r.incident_id for r in rows}))
                .options(lazyload(Incident.services), lazyload(Incident.roles)))}
        # Rendered after commit: the claim holds SQLite's write lock, and the timers must
        # not wait for 50 templates (the rows stay loaded: sessions do not expire on commit).
        signer = LinkSigner(self._secret)
        jobs: list[_Job] = []
        failed: list[tuple[int, str]] = []
        for row in rows:
            incident = incidents.get(row.incident_id)
            if incident is None:
                continue
            try:
                message, recipient = self._message(row, incident, signer)
            except Exception as exc:  # a broken template must not stop other pages
                failed.append((row.id, f"rendering failed: {exc}"))
                continue
            jobs.append(_Job(row.id, row.channel_id, message, recipient))
        outcomes: list[tuple[int, service.Outcome]] = [
            (i, service.Outcome(ok=False, retryable=False, detail=why)) for i, why in failed]
        outcomes.extend(self._send_all(jobs, pause))
        pause()
        with self.db.transaction() as session:
            recorded = service.record_many(session, outcomes, pinned or utcnow(),
                                           fallbacks=self.fallbacks,
                                           channel_types=self.channel_types, rng=self.rng)
            session.flush()
            for row, outcome in recorded:
                log.info("delivery %s %s", row.id, row.status, extra={
                    "delivery_id": row.id, "incident_id": str(row.incident_id),
                    "channel": row.channel_id, "outcome": row.status})
                if self.metrics is not None:
                    result = "delivered" if outcome.ok else (
                        "retry" if row.status == "pending" else "dead")
                    self.metrics.deliveries.labels(row.channel_id, result).inc()
                    if row.status == "dead":
                        self.metrics.dead_letters.labels(row.channel_id).inc()
        return len(outcomes)

    def _send_all(self, jobs: list[_Job], pause: Callable[[], None]
                  ) -> list[tuple[int, service.Outcome]]:
        def one(job: _Job) -> tuple[int, service.Outcome]:
            pause()
            return job.delivery_id, self._send(job)

        if self.concurrency <= 1 or len(jobs) <= 1:
            return [one(job) for job in jobs]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="warroom-send")
        return list(self._pool.map(one, jobs))

    def close(self) -> None:
        """Stop the send threads (they also end with the process)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def _send(self, job: _Job) -> service.Outcome:
        from warroom.notify.errors import PermanentDeliveryError, RetryableDeliveryError

        try:
            receipt = self.channel(job.channel_id).send(job.message, job.recipient, http=self.http)
        except RetryableDeliveryError as exc:
            return service.Outcome(ok=False, retryable=True, detail=str(exc),
                                   retry_after=getattr(exc, "retry_after", None))
        except PermanentDeliveryError as exc:
            return service.Outcome(ok=False, retryable=False, detail=str(exc))
        except Exception as exc:  # an unexpected plugin failure: retry, it may be transient
            log.exception("channel %s failed unexpectedly", job.channel_id)
            return service.Outcome(ok=False, retryable=True, detail=f"{type(exc).__name__}: {exc}")
        detail = getattr(receipt, "provider_id", None)
        return service.Outcome(ok=True, receipt=str(detail) if detail else None)
