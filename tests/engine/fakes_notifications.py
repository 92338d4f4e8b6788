"""In-memory notifications with their mail state (the port engine/notify.py writes through)."""

from __future__ import annotations

from datetime import datetime

from engine.notify import TASK_OVERDUE, DueMail, MailLogEntry, Notice, Notification, OverdueTask
from engine.outbox import DeliveryOutcome


def _rows(work) -> dict:
    """The fake store's notification tables (created on first use, copied with the store)."""
    return work.__dict__.setdefault("notification_rows", {"rows": [], "off": {}})


class FakeNotifications:
    def __init__(self, work):
        self.work, self.tables = work, _rows(work)

    def add(self, notices: list[Notice]) -> None:
        for notice in notices:
            for user in sorted(self.work.users.values(), key=lambda u: u.username):
                reached = user.username in notice.users or any(r in user.roles for r in notice.roles)
                if not user.active or not reached or user.username == notice.actor or user.username in notice.excluded:
                    continue
                mailed = bool(user.email) and notice.kind not in self.tables["off"].get(user.username, set())
                self.tables["rows"].append({
                    "id": len(self.tables["rows"]) + 1, "recipient": user.username, "kind": notice.kind,
                    "payload": dict(notice.payload), "instance_id": notice.instance_id, "task_id": notice.task_id,
                    "created_at": notice.at, "read_at": None, "mail_status": "pending" if mailed else None,
                    "mail_attempts": 0, "mail_next_at": notice.at if mailed else None, "mail_claim": None,
                    "mail_error": None})

    def _mine(self, username: str, unread_only: bool = False) -> list[dict]:
        return [r for r in self.tables["rows"] if r["recipient"] == username
                and (not unread_only or r["read_at"] is None)]

    def page(self, username: str, unread_only: bool, offset: int, limit: int) -> tuple[list[Notification], int]:
        rows = sorted(self._mine(username, unread_only), key=lambda r: -r["id"])
        return [Notification(r["id"], r["kind"], r["payload"], r["instance_id"], r["task_id"], r["created_at"],
                             r["read_at"]) for r in rows[offset:offset + limit]], len(rows)

    def unread_count(self, username: str) -> int:
        return len(self._mine(username, True))

    def mark_read(self, username: str, ids: list[int] | None, at: datetime) -> int:
        rows = [r for r in self._mine(username, True) if ids is None or r["id"] in ids]
        for row in rows:
            row["read_at"] = at
        return len(rows)

    def mail_off(self, username: str) -> set[str]:
        return set(self.tables["off"].get(username, set()))

    def set_mail_off(self, username: str, kinds: set[str]) -> None:
        self.tables["off"][username] = set(kinds)

    def overdue(self, now: datetime, limit: int) -> list[OverdueTask]:
        told = {r["task_id"] for r in self.tables["rows"] if r["kind"] == TASK_OVERDUE}
        due = [t for t in self.work.tasks.values() if t.status == "open" and t.claimed_by and t.due_at
               and t.due_at <= now and t.id not in told]
        return [OverdueTask(t.id, t.instance_id, t.process_key, t.title, t.claimed_by, t.due_at)
                for t in sorted(due, key=lambda t: (t.due_at, t.id))[:limit]]

    def claim_mail(self, now: datetime, lease_until: datetime, limit: int, claim: str) -> list[DueMail]:
        due = [r for r in self.tables["rows"] if r["mail_status"] == "pending" and r["mail_next_at"] <= now][:limit]
        found = []
        for r in due:
            r.update(mail_attempts=r["mail_attempts"] + 1, mail_next_at=lease_until, mail_claim=claim)
            user = self.work.users[r["recipient"]]
            found.append(DueMail(r["id"], r["recipient"], user.email, self.work.languages.get(r["recipient"]),
                                 r["kind"], r["payload"], r["instance_id"], r["task_id"], r["mail_attempts"]))
        return found

    def record_mail(self, notification_id: int, claim: str, outcome: DeliveryOutcome) -> bool:
        for r in self.tables["rows"]:
            if r["id"] == notification_id and r["mail_claim"] == claim:
                r.update(mail_status=outcome.status, mail_next_at=outcome.next_attempt_at, mail_claim=None,
                         mail_error=outcome.error)
                return True
        return False

    def skip_mail(self, now: datetime) -> int:
        due = [r for r in self.tables["rows"] if r["mail_status"] == "pending" and r["mail_next_at"] <= now]
        for r in due:
            r.update(mail_status="skipped", mail_next_at=None)
        return len(due)

    def mail_log(self, offset: int, limit: int) -> tuple[list[MailLogEntry], int]:
        rows = sorted((r for r in self.tables["rows"] if r["mail_status"]), key=lambda r: -r["id"])
        return [MailLogEntry(r["id"], r["recipient"], r["kind"], r["mail_status"], r["mail_attempts"],
                             r["mail_error"], r["mail_next_at"], r["created_at"])
                for r in rows[offset:offset + limit]], len(rows)
