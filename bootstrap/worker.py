"""The worker's loop: in-process with `zhidu serve`, or alone as `zhidu worker`.

Each pass fires due timers, starts scheduled procedures, delivers due webhooks from the outbox
(decision 15), tells holders of overdue tasks, and sends due notification mail. Each step is
guarded on its own, so a receiver or mail server that is down never stops the timers, nor a bad
instance the webhooks.

Mail goes out through `ZHIDU_SMTP_URL` (smtp:// or smtps://, engine/commands/mail_smtp.py);
without it due mail is skipped and nothing fails. Links in mail start at `ZHIDU_BASE_URL`.
"""

from __future__ import annotations

import logging
import os
import threading

from bootstrap.wiring import build
from engine.commands.mail_smtp import mailer_from_url
from engine.commands.notifications import DEFAULT_BASE_URL
from engine.runtime import Engine

log = logging.getLogger("zhidu.worker")
WEBHOOKS_PER_PASS = 100
MAIL_PER_PASS = 100


def run_worker(interval: float, once: bool = False, stop: threading.Event | None = None) -> None:
    """Poll for due timers, webhooks and mail every `interval` seconds until `stop` is set (or once)."""
    stop = stop or threading.Event()
    engine = build(background=True).engine
    configure_mail(engine, os.environ)
    while not stop.is_set():
        work_once(engine)
        if once:
            return
        stop.wait(interval)


def configure_mail(engine: Engine, environ: dict[str, str] | os._Environ) -> None:
    """Give the engine its mailer (None without ZHIDU_SMTP_URL) and the base of mail links.

    Raises:
        ValueError: ZHIDU_SMTP_URL is set but is not an smtp:// or smtps:// URL.
    """
    engine.notices.mailer = mailer_from_url(environ.get("ZHIDU_SMTP_URL"))
    engine.notices.base_url = environ.get("ZHIDU_BASE_URL") or DEFAULT_BASE_URL


def work_once(engine: Engine) -> None:
    """One pass: timers and schedules, webhooks, then notifications; a failure is logged, never raised."""
    try:
        fired = len(engine.fire_due_timers()) + len(engine.start_due_schedules())
        if fired:
            log.info("fired timers of %d instance(s)", fired)
    except Exception:  # the worker must outlive any one bad instance
        log.exception("timer pass failed")
    try:
        sent = engine.deliver_webhooks(WEBHOOKS_PER_PASS)
        if sent.delivered or sent.retrying or sent.failed:
            log.info("webhooks: %s", sent.to_dict())
    except Exception:  # nor any one database hiccup while delivering
        log.exception("webhook pass failed")
    try:
        engine.notify_overdue(MAIL_PER_PASS)
        mailed = engine.deliver_mail(MAIL_PER_PASS)
        if mailed.sent or mailed.retrying or mailed.failed:
            log.info("mail: %s", mailed.to_dict())
    except Exception:  # nor a mail server that is down
        log.exception("notification pass failed")
