"""The outbox's events, webhook subscriptions and their deliveries (decision 15).

Commands insert event rows in their own transaction; the worker fans each event out to one
delivery row per subscription that wants it, then claims due deliveries with SKIP LOCKED (on
PostgreSQL; SQLite has one writer at a time anyway) so several workers never send one twice.
"""

from __future__ import annotations

from datetime import datetime
from uuid import uuid4

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, delete, func, insert, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.outbox import DeliveryLogEntry, DeliveryOutcome, DueDelivery, OutboxEvent, WebhookSubscription
from storage.driver import run
from storage.models import Base, UtcDateTime


class OutboxEventRow(Base):
    __tablename__ = "outbox_events"
    __table_args__ = (Index("ix_outbox_events_pending", "dispatched_at", "occurred_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime())
    dispatched_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class WebhookSubscriptionRow(Base):
    __tablename__ = "webhook_subscriptions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    events: Mapped[list] = mapped_column(JSON)
    secret: Mapped[str] = mapped_column(String(100))
    created_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    removed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class WebhookDeliveryRow(Base):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_created", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    event_id: Mapped[str] = mapped_column(ForeignKey("outbox_events.id"), index=True)
    subscription_id: Mapped[str] = mapped_column(ForeignKey("webhook_subscriptions.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))  # pending, delivered, failed, dropped
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    claim: Mapped[str | None] = mapped_column(String(36), nullable=True)
    last_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class SqlOutboxRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, events: list[OutboxEvent]) -> None:
        if events:  # built once, sent on the session's connection (storage/core.py)
            run(self.session, _INSERT_EVENT, [
                {"id": e.id, "kind": e.kind, "body": e.body, "occurred_at": e.occurred_at} for e in events])

    def claim_undispatched(self, limit: int) -> list[OutboxEvent]:
        rows = self.session.scalars(
            select(OutboxEventRow).where(OutboxEventRow.dispatched_at.is_(None))
            .order_by(OutboxEventRow.occurred_at, OutboxEventRow.id).limit(limit).with_for_update(skip_locked=True))
        return [OutboxEvent(r.id, r.kind, r.body, r.occurred_at) for r in rows]

    def mark_dispatched(self, event_ids: list[str], at: datetime) -> None:
        if event_ids:
            self.session.execute(update(OutboxEventRow).where(OutboxEventRow.id.in_(event_ids))
                                 .values(dispatched_at=at))

    def forget(self, event_ids: list[str]) -> None:
        if event_ids:
            self.session.execute(delete(OutboxEventRow).where(OutboxEventRow.id.in_(event_ids)))


class SqlWebhookRepository:
    def __init__(self, session: Session):
        self.session = session

    def add_subscription(self, subscription: WebhookSubscription) -> None:
        s = subscription
        self.session.add(WebhookSubscriptionRow(id=s.id, url=s.url, events=list(s.events), secret=s.secret,
                                                created_by=s.created_by, created_at=s.created_at))
        self.session.flush()

    def subscription(self, subscription_id: str) -> WebhookSubscription | None:
        row = self.session.get(WebhookSubscriptionRow, subscription_id)
        return _subscription(row) if row else None

    def subscriptions(self) -> list[WebhookSubscription]:
        rows = self.session.scalars(select(WebhookSubscriptionRow).where(WebhookSubscriptionRow.removed_at.is_(None))
                                    .order_by(WebhookSubscriptionRow.created_at, WebhookSubscriptionRow.id))
        return [_subscription(r) for r in rows]

    def remove_subscription(self, subscription_id: str, at: datetime) -> None:
        self.session.execute(update(WebhookSubscriptionRow).where(WebhookSubscriptionRow.id == subscription_id)
                             .values(removed_at=at))
        self.session.execute(update(WebhookDeliveryRow).where(WebhookDeliveryRow.subscription_id == subscription_id,
                                                              WebhookDeliveryRow.status == "pending")
                             .values(status="dropped", next_attempt_at=None, claim=None, updated_at=at))

    def add_deliveries(self, pairs: list[tuple[str, str]], at: datetime) -> None:
        if pairs:
            self.session.execute(insert(WebhookDeliveryRow), [
                {"id": str(uuid4()), "event_id": event_id, "subscription_id": subscription_id, "status": "pending",
                 "attempts": 0, "next_attempt_at": at, "created_at": at, "updated_at": at}
                for event_id, subscription_id in pairs])

    def claim_due(self, now: datetime, lease_until: datetime, limit: int, claim: str) -> list[DueDelivery]:
        rows = self.session.scalars(
            select(WebhookDeliveryRow).where(WebhookDeliveryRow.status == "pending",
                                             WebhookDeliveryRow.next_attempt_at <= now)
            .order_by(WebhookDeliveryRow.next_attempt_at, WebhookDeliveryRow.id).limit(limit)
            .with_for_update(skip_locked=True)).all()
        if not rows:
            return []
        ids = [r.id for r in rows]
        self.session.execute(update(WebhookDeliveryRow).where(WebhookDeliveryRow.id.in_(ids)).values(
            attempts=WebhookDeliveryRow.attempts + 1, next_attempt_at=lease_until, claim=claim, updated_at=now),
            execution_options={"synchronize_session": False})
        found = self.session.execute(
            select(WebhookDeliveryRow.id, WebhookDeliveryRow.event_id, OutboxEventRow.kind, OutboxEventRow.body,
                   WebhookSubscriptionRow.url, WebhookSubscriptionRow.secret, WebhookDeliveryRow.attempts)
            .join(OutboxEventRow, OutboxEventRow.id == WebhookDeliveryRow.event_id)
            .join(WebhookSubscriptionRow, WebhookSubscriptionRow.id == WebhookDeliveryRow.subscription_id)
            .where(WebhookDeliveryRow.id.in_(ids)).order_by(WebhookDeliveryRow.next_attempt_at, WebhookDeliveryRow.id))
        return [DueDelivery(*row) for row in found]

    def record_outcome(self, delivery_id: str, claim: str, outcome: DeliveryOutcome) -> bool:
        done = self.session.execute(
            update(WebhookDeliveryRow).where(WebhookDeliveryRow.id == delivery_id, WebhookDeliveryRow.claim == claim)
            .values(status=outcome.status, next_attempt_at=outcome.next_attempt_at, claim=None,
                    last_code=outcome.code, last_error=outcome.error, updated_at=outcome.at))
        return bool(done.rowcount)

    def log(self, offset: int, limit: int) -> tuple[list[DeliveryLogEntry], int]:
        total = self.session.scalar(select(func.count()).select_from(WebhookDeliveryRow)) or 0
        rows = self.session.execute(
            select(WebhookDeliveryRow.id, WebhookDeliveryRow.event_id, OutboxEventRow.kind, WebhookSubscriptionRow.url,
                   WebhookDeliveryRow.status, WebhookDeliveryRow.attempts, WebhookDeliveryRow.last_code,
                   WebhookDeliveryRow.last_error, WebhookDeliveryRow.next_attempt_at, WebhookDeliveryRow.created_at,
                   WebhookDeliveryRow.updated_at)
            .join(OutboxEventRow, OutboxEventRow.id == WebhookDeliveryRow.event_id)
            .join(WebhookSubscriptionRow, WebhookSubscriptionRow.id == WebhookDeliveryRow.subscription_id)
            .order_by(WebhookDeliveryRow.created_at.desc(), OutboxEventRow.occurred_at.desc(),
                      WebhookDeliveryRow.id.desc()).offset(offset).limit(limit))
        return [DeliveryLogEntry(*row) for row in rows], total


def _subscription(row: WebhookSubscriptionRow) -> WebhookSubscription:
    return WebhookSubscription(row.id, row.url, tuple(row.events), row.secret, row.created_by, row.created_at,
                               row.removed_at)


_INSERT_EVENT = insert(OutboxEventRow.__table__)
