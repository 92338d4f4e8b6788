"""Notifications in a real database, and their mail through a REAL SMTP server (aiosmtpd on
127.0.0.1): a role's holders reached in one statement, the schema as the models describe it,
a mail sent once, kept with its error while the server is down and sent once when it is back,
and a login with user:password from ZHIDU_SMTP_URL."""

from __future__ import annotations

import socket
from datetime import timedelta
from email import message_from_bytes, policy
from email.header import decode_header, make_header

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from bootstrap.worker import configure_mail
from engine.commands.mail_smtp import mailer_from_url
from engine.runtime import Engine
from storage.database import migrate
from tests.conftest import open_db
from tests.webui.support import build_services

INTAKE = {"customer_name": "张三", "contact": "13800000000", "channel": "phone", "category": "service",
          "severity": "high", "description": "服务态度差"}


class Inbox:
    """What the SMTP server received: (envelope recipients, parsed message)."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def smtp_server(port: int, inbox: Inbox, **options) -> Controller:
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    return controller


@pytest.fixture
def engine(db_url, clock):
    services = build_services(db_url)
    yield Engine(services.engine.uow_factory, clock)  # the same database, on the test's clock
    services.db.dispose()


def subject_of(message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def test_the_migrated_schema_is_what_the_models_describe(db_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from storage.models import Base

    db = open_db(db_url)
    migrate(db)
    with db.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    mine = ("'notifications'", "'notification_mail_off'", "'email'")
    assert [d for d in differences if any(name in repr(d) for name in mine)] == []


def test_a_role_reaches_its_active_holders_and_marks_stay_per_person(engine):
    engine.start("complaint_handling", "cs_staff1", INTAKE)
    engine.start("complaint_handling", "cs_manager", INTAKE)
    assert engine.notifications("cs_staff2").total == 2
    assert engine.notifications("cs_staff1").total == 1  # the manager's, not their own
    first = engine.notifications("cs_staff2").entries[0]
    assert engine.mark_read("cs_staff1", [first.id]) == 0
    assert engine.mark_read("cs_staff2", [first.id]) == 1
    assert engine.navigation("cs_staff2").unread == 1
    engine.set_notification_preferences("cs_staff2", {"task_offered": False})
    assert engine.notification_preferences("cs_staff2")["task_offered"] is False


def test_mail_reaches_a_real_smtp_server_once(engine):
    inbox, port = Inbox(), free_port()
    server = smtp_server(port, inbox)
    try:
        configure_mail(engine, {"ZHIDU_SMTP_URL": f"smtp://127.0.0.1:{port}",
                                "ZHIDU_BASE_URL": "https://zhidu.example.com"})
        task = engine.start("complaint_handling", "cs_staff1", INTAKE).active_tasks[0]
        assert engine.deliver_mail().sent == 1
        assert engine.deliver_mail().sent == 0
    finally:
        server.stop()
    [(to, message)] = inbox.messages
    assert to == ["cs_staff2@example.com"] and subject_of(message).startswith("新任务：")
    assert f"https://zhidu.example.com/tasks/{task.id}" in message.get_content()


def test_a_server_that_was_down_gets_the_mail_once_after_the_back_off(engine, clock):
    inbox, port = Inbox(), free_port()
    configure_mail(engine, {"ZHIDU_SMTP_URL": f"smtp://127.0.0.1:{port}"})
    engine.start("complaint_handling", "cs_staff1", INTAKE)  # the command succeeds with no server up
    assert engine.deliver_mail().retrying == 1
    entry = engine.mail_log(actor="admin").entries[0]
    assert entry.status == "pending" and entry.attempts == 1 and "refused" in entry.last_error.lower()
    server = smtp_server(port, inbox)
    try:
        assert engine.deliver_mail().sent == 0  # not before its back-off
        clock.advance(timedelta(seconds=31))
        assert engine.deliver_mail().sent == 1
        clock.advance(timedelta(hours=1))
        assert engine.deliver_mail().sent == 0
    finally:
        server.stop()
    assert len(inbox.messages) == 1
    assert engine.mail_log(actor="admin").entries[0].status == "sent"


def test_the_url_s_user_and_password_log_in(engine):
    inbox, port, seen = Inbox(), free_port(), []

    def authenticate(server, session, envelope, mechanism, auth_data):
        seen.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.login == b"mailer" and auth_data.password == b"p@ss word")

    server = smtp_server(port, inbox, authenticator=authenticate, auth_require_tls=False)
    try:
        configure_mail(engine, {"ZHIDU_SMTP_URL": f"smtp://mailer:p%40ss%20word@127.0.0.1:{port}"})
        engine.start("complaint_handling", "cs_staff1", INTAKE)
        assert engine.deliver_mail().sent == 1
    finally:
        server.stop()
    assert seen == [(b"mailer", b"p@ss word")] and len(inbox.messages) == 1


def test_smtp_urls_are_read_and_bad_ones_refused():
    assert mailer_from_url(None) is None and mailer_from_url("  ") is None
    secure = mailer_from_url("smtps://u:p@mail.example.com?from=noreply@example.com")
    assert (secure.host, secure.port, secure.secure, secure.user, secure.sender) == (
        "mail.example.com", 465, True, "u", "noreply@example.com")
    assert mailer_from_url("smtp://relay").port == 25
    for bad in ("http://mail.example.com", "smtp://", "mail.example.com:25"):
        with pytest.raises(ValueError):
            mailer_from_url(bad)
