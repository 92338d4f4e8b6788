"""In-memory outbox events, webhook subscriptions and deliveries (the ports the outbox uses)."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime

from engine.outbox import DeliveryLogEntry, DeliveryOutcome, DueDelivery, OutboxEvent, WebhookSubscription


def _rows(work) -> dict:
    """The fake store's outbox tables (created on first use, copied with the store)."""
    return work.__dict__.setdefault("outbox", {"events": {}, "dispatched": {}, "subscriptions": {}, "deliveries": {}})


class FakeOutbox:
    def __init__(self, work):
        self.rows = _rows(work)

    def add(self, events: list[OutboxEvent]) -> None:
        for event in events:
            self.rows["events"][event.id] = event

    def claim_undispatched(self, limit: int) -> list[OutboxEvent]:
        waiting = [e for e in self.rows["events"].values() if e.id not in self.rows["dispatched"]]
        return sorted(waiting, key=lambda e: e.occurred_at)[:limit]

    def mark_dispatched(self, event_ids: list[str], at: datetime) -> None:
        self.rows["dispatched"].update({i: at for i in event_ids})

    def forget(self, event_ids: list[str]) -> None:
        for event_id in event_ids:
            self.rows["events"].pop(event_id, None)


class FakeWebhooks:
    def __init__(self, work):
        self.rows = _rows(work)

    def add_subscription(self, subscription: WebhookSubscription) -> None:
        self.rows["subscriptions"][subscription.id] = subscription

    def subscription(self, subscription_id: str) -> WebhookSubscription | None:
        return self.rows["subscriptions"].get(subscription_id)

    def subscriptions(self) -> list[WebhookSubscription]:
        return sorted((s for s in self.rows["subscriptions"].values() if s.removed_at is None),
                      key=lambda s: s.created_at)

    def remove_subscription(self, subscription_id: str, at: datetime) -> None:
        subs = self.rows["subscriptions"]
        subs[subscription_id] = dataclasses.replace(subs[subscription_id], removed_at=at)
        for row in self.rows["deliveries"].values():
            if row["subscription_id"] == subscription_id and row["status"] == "pending":
                row.update(status="dropped", next_attempt_at=None, claim=None, updated_at=at)

    def add_deliveries(self, pairs: list[tuple[str, str]], at: datetime) -> None:
        for event_id, subscription_id in pairs:
            delivery_id = str(uuid.uuid4())
            self.rows["deliveries"][delivery_id] = {
                "id": delivery_id, "event_id": event_id, "subscription_id": subscription_id, "status": "pending",
                "attempts": 0, "next_attempt_at": at, "claim": None, "last_code": None, "last_error": None,
                "created_at": at, "updated_at": at}

    def claim_due(self, now: datetime, lease_until: datetime, limit: int, claim: str) -> list[DueDelivery]:
        due = sorted((r for r in self.rows["deliveries"].values()
                      if r["status"] == "pending" and r["next_attempt_at"] <= now),
                     key=lambda r: r["next_attempt_at"])[:limit]
        claimed = []
        for row in due:
            row.update(attempts=row["attempts"] + 1, next_attempt_at=lease_until, claim=claim, updated_at=now)
            event, sub = self.rows["events"][row["event_id"]], self.rows["subscriptions"][row["subscription_id"]]
            claimed.append(DueDelivery(row["id"], event.id, event.kind, event.body, sub.url, sub.secret,
                                       row["attempts"]))
        return claimed

    def record_outcome(self, delivery_id: str, claim: str, outcome: DeliveryOutcome) -> bool:
        row = self.rows["deliveries"][delivery_id]
        if row["claim"] != claim:
            return False
        row.update(status=outcome.status, next_attempt_at=outcome.next_attempt_at, claim=None,
                   last_code=outcome.code, last_error=outcome.error, updated_at=outcome.at)
        return True

    def log(self, offset: int, limit: int) -> tuple[list[DeliveryLogEntry], int]:
        rows = sorted(self.rows["deliveries"].values(), key=lambda r: r["created_at"], reverse=True)
        entries = [DeliveryLogEntry(r["id"], r["event_id"], self.rows["events"][r["event_id"]].kind,
                                    self.rows["subscriptions"][r["subscription_id"]].url, r["status"], r["attempts"],
                                    r["last_code"], r["last_error"], r["next_attempt_at"], r["created_at"],
                                    r["updated_at"]) for r in rows[offset:offset + limit]]
        return entries, len(rows)
