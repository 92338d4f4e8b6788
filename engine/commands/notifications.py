"""A person's notifications and mail preferences, and the worker's passes that feed and send them.

Reading and marking are the recipient's own: every method takes the user's name and touches
only their rows. The worker's passes: `notify_overdue` tells the holder of each claimed task
that passed its due time (once per task), and `deliver_mail` sends the e-mail of notifications
as webhooks are sent (engine/commands/webhooks.py): claim due rows with SKIP LOCKED and a lease,
commit, send with no transaction open, record the outcome in a unit of its own — sent, retried
after the webhooks' back-off, or failed after the last attempt, the error kept for
administrators. Without a mailer (no `ZHIDU_SMTP_URL`) due mail is marked skipped, not kept: a
server configured later sends news from then on, not a backlog.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from engine.commands.mail_smtp import Mailer
from engine.commands.mail_text import worded
from engine.commands.runner import Runner
from engine.errors import PermissionDenied
from engine.notify import KINDS, TASK_OVERDUE, DueMail, MailLogEntry, Notification, notice_of, notify_all
from engine.outbox import BACKOFF, LEASE, MAX_ATTEMPTS, DeliveryOutcome
from engine.permissions import OPERATOR_NAME

PAGE = 30
MAIL_LOG_PAGE = 50
DEFAULT_BASE_URL = "http://127.0.0.1:5000"


@dataclass(frozen=True)
class NotificationPage:
    """One page of a person's notifications, newest first, and how many are unread."""

    entries: tuple[Notification, ...]
    total: int
    page: int
    pages: int
    unread: int


@dataclass(frozen=True)
class MailLog:
    """One page of the e-mail log, newest first (administrators)."""

    entries: tuple[MailLogEntry, ...]
    total: int
    page: int
    pages: int


@dataclass(frozen=True)
class MailPass:
    """What one mail pass did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    skipped: int = 0

    def to_dict(self) -> dict[str, int]:
        return {"sent": self.sent, "retrying": self.retrying, "failed": self.failed, "skipped": self.skipped}


def mail_outcome(mail: DueMail, error: str | None, at: Any) -> DeliveryOutcome:
    """Sent without an error; else retried after the back-off of its attempt, or failed after the last."""
    if error is None:
        return DeliveryOutcome("sent", at)
    if mail.attempts >= MAX_ATTEMPTS:
        return DeliveryOutcome("failed", at, error=error[:500])
    return DeliveryOutcome("pending", at, error=error[:500],
                           next_attempt_at=at + BACKOFF[min(mail.attempts, len(BACKOFF)) - 1])


class NotificationCommands:
    """A person's notifications and preferences; the worker's overdue and mail passes."""

    def __init__(self, run: Runner, mailer: Mailer | None = None, base_url: str = DEFAULT_BASE_URL):
        self.run, self.mailer, self.base_url = run, mailer, base_url

    def notifications(self, username: str, unread_only: bool = False, page: int = 1,
                      size: int = PAGE) -> NotificationPage:
        """One page of `username`'s notifications, newest first. Raises: UserNotFound, PermissionDenied."""
        with self.run.unit() as uow:
            user = self.run.actor(uow, username)
            page, size = max(1, page), max(1, size)
            entries, total = uow.notifications.page(user.username, unread_only, (page - 1) * size, size)
            pages = max(1, -(-total // size))
            return NotificationPage(tuple(entries), total, min(page, pages), pages,
                                    uow.notifications.unread_count(user.username))

    def mark_read(self, username: str, ids: list[int]) -> int:
        """Mark some of `username`'s own notifications read (others' ids change nothing); how many."""
        return self._mark(username, [int(i) for i in ids])

    def mark_all_read(self, username: str) -> int:
        """Mark every notification of `username` read; returns how many were unread."""
        return self._mark(username, None)

    def _mark(self, username: str, ids: list[int] | None) -> int:
        with self.run.unit() as uow:
            user = self.run.actor(uow, username)
            marked = uow.notifications.mark_read(user.username, ids, self.run.clock.now()) if ids != [] else 0
            uow.commit()
            return marked

    def notification_preferences(self, username: str) -> dict[str, bool]:
        """kind -> whether `username` gets it by e-mail too (every kind on, unless turned off)."""
        with self.run.unit() as uow:
            user = self.run.actor(uow, username)
            off = uow.notifications.mail_off(user.username)
            return {kind: kind not in off for kind in KINDS}

    def set_notification_preferences(self, username: str, prefs: dict[str, bool]) -> dict[str, bool]:
        """Set which kinds `username` gets by e-mail; kinds left out stay as they were."""
        with self.run.unit() as uow:
            user = self.run.actor(uow, username)
            off = uow.notifications.mail_off(user.username)
            for kind, wanted in prefs.items():
                if kind in KINDS:
                    (off.discard if wanted else off.add)(kind)
            uow.notifications.set_mail_off(user.username, off)
            uow.commit()
            return {kind: kind not in off for kind in KINDS}

    def mail_log(self, page: int = 1, actor: str = OPERATOR_NAME, size: int = MAIL_LOG_PAGE) -> MailLog:
        """One page of e-mails with their state and last error (administrators only).

        Raises:
            UserNotFound, PermissionDenied.
        """
        with self.run.unit() as uow:
            user = self.run.actor(uow, actor)
            if not self.run.permissions(uow).may_administer(user):
                raise PermissionDenied(f"{user.username} may not read the mail log")
            page, size = max(1, page), max(1, size)
            entries, total = uow.notifications.mail_log((page - 1) * size, size)
            pages = max(1, -(-total // size))
            return MailLog(tuple(entries), total, min(page, pages), pages)

    def notify_overdue(self, limit: int = 100) -> int:
        """Tell the holder of each claimed task now past due, once per task; returns how many."""
        with self.run.unit() as uow:
            now = self.run.clock.now()
            overdue = uow.notifications.overdue(now, limit)
            notify_all(uow, [notice_of([t.holder], TASK_OVERDUE, {
                "task_id": t.task_id, "instance_id": t.instance_id, "process_key": t.process_key,
                "title": t.title, "due_at": t.due_at.isoformat()}, now) for t in overdue])
            uow.commit()
            return len(overdue)

    def deliver_mail(self, limit: int = 100) -> MailPass:
        """One worker pass: send up to `limit` due e-mails (or skip them all without a mailer)."""
        if self.mailer is None:
            with self.run.unit() as uow:
                skipped = uow.notifications.skip_mail(self.run.clock.now())
                uow.commit()
            return MailPass(skipped=skipped)
        claim = str(uuid.uuid4())
        with self.run.unit() as uow:
            now = self.run.clock.now()
            due = uow.notifications.claim_mail(now, now + LEASE, limit, claim)
            uow.commit()
        outcomes = [self._send(mail, claim) for mail in due]
        return MailPass(outcomes.count("sent"), outcomes.count("pending"), outcomes.count("failed"),
                        outcomes.count("skipped"))

    def _send(self, mail: DueMail, claim: str) -> str:
        """Send one e-mail (no transaction open) and record its outcome in a unit of its own."""
        if not mail.email:  # the address was removed since the notification was written
            outcome = DeliveryOutcome("skipped", self.run.clock.now(), error="no e-mail address")
        else:
            subject, body = worded(mail, self.base_url)
            assert self.mailer is not None
            error = self.mailer.send(mail.email, subject, body, f"<notification-{mail.id}@zhidu>")
            outcome = mail_outcome(mail, error, self.run.clock.now())
        with self.run.unit() as uow:
            uow.notifications.record_mail(mail.id, claim, outcome)
            uow.commit()
        return outcome.status
