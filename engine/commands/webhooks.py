"""Webhooks: administrators' subscriptions, and the worker's delivery of the outbox to them.

Delivery never holds a transaction open across the network: one unit of work fans new events
out to the subscriptions that want them, one claims the due deliveries (SKIP LOCKED, a lease,
an attempt counted) and commits, then each POST is sent with no transaction open, and its
outcome is written in a unit of its own — delivered, retried after a back-off, or failed.
Times come from the engine clock.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from engine.commands.runner import Runner
from engine.commands.webhook_http import HttpTransport, Transport
from engine.errors import FieldError, FormInvalid, NotFound, PermissionDenied
from engine.outbox import EVENTS, LEASE, DeliveryLogEntry, WebhookSubscription, headers_for, outcome_of
from engine.permissions import OPERATOR_NAME
from engine.ports import UnitOfWork

MAX_URL = 2000
LOG_PAGE = 50


@dataclass(frozen=True)
class SubscriptionView:
    """A subscription as listed: never its secret."""

    id: str
    url: str
    events: tuple[str, ...]
    created_by: str | None
    created_at: Any

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "url": self.url, "events": list(self.events), "created_by": self.created_by,
                "created_at": self.created_at.isoformat()}


@dataclass(frozen=True)
class NewSubscription:
    """A subscription just added, with the secret that signs its deliveries (shown this once)."""

    subscription: SubscriptionView
    secret: str

    def to_dict(self) -> dict[str, Any]:
        return {**self.subscription.to_dict(), "secret": self.secret}


@dataclass(frozen=True)
class DeliveryLog:
    """One page of the delivery log, newest first."""

    entries: tuple[DeliveryLogEntry, ...]
    total: int
    page: int
    pages: int


@dataclass(frozen=True)
class DeliveryPass:
    """What one worker pass did: events fanned out, and deliveries by outcome."""

    dispatched: int = 0
    delivered: int = 0
    retrying: int = 0
    failed: int = 0

    def to_dict(self) -> dict[str, int]:
        return {"dispatched": self.dispatched, "delivered": self.delivered, "retrying": self.retrying,
                "failed": self.failed}


def url_problems(url: str) -> list[FieldError]:
    """Why `url` may not receive webhooks: only http(s) with a host, no credentials in it."""
    if not url:
        return [FieldError("url", "a URL is required", "url_required")]
    if len(url) > MAX_URL:
        return [FieldError("url", f"the URL is over {MAX_URL} characters", "url_too_long", {"limit": MAX_URL})]
    if any(c.isspace() or ord(c) < 32 for c in url):
        return [FieldError("url", "the URL may not contain spaces or control characters", "url_format")]
    try:
        parts = urlsplit(url)
        parts.port  # raises on a port that is not a number
    except ValueError:
        return [FieldError("url", "the URL cannot be read", "url_format")]
    if parts.scheme.lower() not in ("http", "https"):
        return [FieldError("url", "only http:// and https:// URLs may receive webhooks", "url_scheme")]
    if parts.username is not None or parts.password is not None:
        return [FieldError("url", "the URL may not carry a user name or password", "url_credentials")]
    if not parts.hostname:
        return [FieldError("url", "the URL names no host", "url_host")]
    return []


def event_problems(events: list[str]) -> list[FieldError]:
    if not events:
        return [FieldError("events", "choose at least one event", "events_required")]
    unknown = sorted(set(events) - set(EVENTS))
    if unknown:
        return [FieldError("events", f"unknown events: {', '.join(unknown)}", "events_unknown")]
    return []


class WebhookCommands:
    """Subscriptions (administrators only) and the worker's delivery pass."""

    def __init__(self, run: Runner, transport: Transport | None = None):
        self.run, self.transport = run, transport or HttpTransport()

    def _administrator(self, uow: UnitOfWork, actor: str) -> None:
        user = self.run.actor(uow, actor)
        if not self.run.permissions(uow).may_administer(user):
            raise PermissionDenied(f"{user.username} may not manage webhooks")

    def add_webhook(self, url: str, events: list[str], actor: str = OPERATOR_NAME) -> NewSubscription:
        """Subscribe `url` to `events`; the secret that signs its deliveries is returned once.

        Raises:
            UserNotFound, PermissionDenied, FormInvalid (form "webhook": fields url, events).
        """
        url, wanted = (url or "").strip(), [e for e in dict.fromkeys(events or []) if e]
        with self.run.unit() as uow:
            self._administrator(uow, actor)
            problems = url_problems(url) + event_problems(wanted)
            if not problems and any(s.url == url for s in uow.webhooks.subscriptions()):
                problems.append(FieldError("url", "this URL is subscribed already: remove that subscription first "
                                                  "to change its events", "url_taken"))
            if problems:
                raise FormInvalid("webhook", problems)
            subscription = WebhookSubscription(str(uuid.uuid4()), url, tuple(e for e in EVENTS if e in wanted),
                                               secrets.token_hex(32), None if actor == OPERATOR_NAME else actor,
                                               self.run.clock.now())
            uow.webhooks.add_subscription(subscription)
            uow.commit()
            return NewSubscription(_view(subscription), subscription.secret)

    def webhook_subscriptions(self, actor: str = OPERATOR_NAME) -> list[SubscriptionView]:
        """The subscriptions in force, oldest first. Raises: UserNotFound, PermissionDenied."""
        with self.run.unit() as uow:
            self._administrator(uow, actor)
            return [_view(s) for s in uow.webhooks.subscriptions()]

    def remove_webhook(self, subscription_id: str, actor: str = OPERATOR_NAME) -> SubscriptionView:
        """Stop sending to a subscription; its deliveries not yet made are dropped.

        Raises:
            UserNotFound, PermissionDenied, NotFound.
        """
        with self.run.unit() as uow:
            self._administrator(uow, actor)
            subscription = uow.webhooks.subscription(subscription_id)
            if subscription is None or subscription.removed_at is not None:
                raise NotFound(f"no webhook subscription {subscription_id!r}")
            uow.webhooks.remove_subscription(subscription_id, self.run.clock.now())
            uow.commit()
            return _view(subscription)

    def webhook_deliveries(self, page: int = 1, actor: str = OPERATOR_NAME, size: int = LOG_PAGE) -> DeliveryLog:
        """One page of the delivery log, newest first. Raises: UserNotFound, PermissionDenied."""
        with self.run.unit() as uow:
            self._administrator(uow, actor)
            page, size = max(1, page), max(1, size)
            entries, total = uow.webhooks.log((page - 1) * size, size)
            pages = max(1, -(-total // size))
            return DeliveryLog(tuple(entries), total, min(page, pages), pages)

    def deliver_webhooks(self, limit: int = 100) -> DeliveryPass:
        """One worker pass: fan out new events, then send up to `limit` due deliveries."""
        dispatched = self._dispatch(limit)
        claim = str(uuid.uuid4())
        with self.run.unit() as uow:
            now = self.run.clock.now()
            due = uow.webhooks.claim_due(now, now + LEASE, limit, claim)
            uow.commit()
        outcomes = [self._send(delivery, claim) for delivery in due]
        return DeliveryPass(dispatched, outcomes.count("delivered"), outcomes.count("pending"),
                            outcomes.count("failed"))

    def _dispatch(self, limit: int) -> int:
        """One delivery per new event and subscription that wants its kind, in one transaction."""
        with self.run.unit() as uow:
            events = uow.outbox.claim_undispatched(limit)
            if not events:
                return 0
            subscriptions = uow.webhooks.subscriptions()
            pairs = [(e.id, s.id) for e in events for s in subscriptions if e.kind in s.events]
            wanted = {event_id for event_id, _ in pairs}
            uow.webhooks.add_deliveries(pairs, self.run.clock.now())
            uow.outbox.mark_dispatched([e.id for e in events if e.id in wanted], self.run.clock.now())
            uow.outbox.forget([e.id for e in events if e.id not in wanted])
            uow.commit()
            return len(events)

    def _send(self, delivery: Any, claim: str) -> str:
        """POST one delivery (no transaction open) and record its outcome in a unit of its own."""
        reply = self.transport.post(delivery.url, delivery.body.encode("utf-8"),
                                    headers_for(delivery, self.run.clock.now()))
        with self.run.unit() as uow:
            outcome = outcome_of(delivery, reply.code, reply.error, self.run.clock.now())
            uow.webhooks.record_outcome(delivery.id, claim, outcome)
            uow.commit()
            return outcome.status


def _view(subscription: WebhookSubscription) -> SubscriptionView:
    return SubscriptionView(subscription.id, subscription.url, subscription.events, subscription.created_by,
                            subscription.created_at)
