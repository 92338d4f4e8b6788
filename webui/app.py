"""The web application factory."""

from __future__ import annotations

import os
import secrets
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, current_app, g
from flask.json.provider import DefaultJSONProvider

from engine.clock import zone_name
from engine.views import Abilities, Navigation
from webui import api, auth, security
from bootstrap.json_text import strict_json
from webui.current import engine, language, t
from webui.i18n import bilingual, localised
from webui.views import admin, audit, employee, errors, owner
from webui.views import notifications as notification_pages
from webui.views import absences as absence_pages, comments as comment_pages
from webui.views import tokens as token_pages
from webui.views import webhooks as webhook_pages
from webui.views.pages import is_overdue, steps
from webui.views.task_forms import TaskForms
from bootstrap.wiring import build


class StrictJSONProvider(DefaultJSONProvider):
    """JSON responses every parser reads: non-finite numbers as strings, never bare NaN/Infinity."""

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        kwargs.pop("allow_nan", None)
        kwargs.pop("default", None)
        return strict_json(obj, **{k: v for k, v in kwargs.items() if k in ("indent", "sort_keys", "separators")})


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app. Config keys: DATABASE_URL (default `ZHIDU_DATABASE_URL` or var/zhidu.db),
    SECRET_KEY (default `ZHIDU_SECRET_KEY`, else a key kept in var/secret_key), ENGINE (a
    prebuilt engine, for tests), DISPLAY_TIMEZONE (default: the engine clock's zone, i.e. the
    organisation's `time_zone`), INBOX_PAGE_SIZE."""
    app = Flask(__name__)
    app.json = StrictJSONProvider(app)
    app.config.from_mapping(
        DATABASE_URL=None, SECRET_KEY=None, ENGINE=None, SECRET_KEY_FILE="var/secret_key",
        DISPLAY_TIMEZONE=None, INBOX_PAGE_SIZE=50,
        SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax", PERMANENT_SESSION_LIFETIME=security.SESSION_LIFETIME,
        # Served over HTTPS? ZHIDU_SECURE_COOKIES=1 keeps the session cookie off plain HTTP.
        SESSION_COOKIE_SECURE=os.environ.get("ZHIDU_SECURE_COOKIES", "").strip().lower() in ("1", "true", "yes"),
    )
    if test_config:
        app.config.update(test_config)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = session_key(app.config["SECRET_KEY_FILE"])
    app.extensions["zhidu"] = app.config["ENGINE"] or build(app.config["DATABASE_URL"]).engine
    app.extensions["zhidu.task_forms"] = TaskForms(app.config["SECRET_KEY"])
    # One zone: the pages show and read days in the zone the engine computes deadlines in.
    app.config["DISPLAY_TIMEZONE"] = app.config["DISPLAY_TIMEZONE"] or zone_name(app.extensions["zhidu"].clock.zone)
    app.register_blueprint(auth.bp)
    app.register_blueprint(employee.bp)
    app.register_blueprint(audit.bp)
    app.register_blueprint(owner.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(token_pages.bp)
    app.register_blueprint(comment_pages.bp)
    app.register_blueprint(absence_pages.bp)
    app.register_blueprint(webhook_pages.bp)
    app.register_blueprint(notification_pages.bp)
    api.register(app)
    security.register(app)
    errors.register(app)
    app.context_processor(_template_helpers)
    app.jinja_env.filters.update(when=_when, age=_age, bi=lambda text: bilingual(text, language()))
    return app


def session_key(file: str = "var/secret_key") -> str:
    """`ZHIDU_SECRET_KEY`, else a random key kept in `file` so that sessions survive a restart
    and every web process signs with the same key."""
    return os.environ.get("ZHIDU_SECRET_KEY") or _stored_secret(file)


def _stored_secret(file: str) -> str:
    path = Path(file)
    if path.is_file() and path.read_text().strip():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


def _template_helpers() -> dict[str, Any]:
    return {"t": t, "lang": language(), "user": g.get("user"), "csrf_token": auth.csrf_token,
            "inbox_count": _inbox_count, "unread_count": _unread_count,
            "localised": lambda names: localised(names, language()),
            "now": engine().clock.now(), "abilities": _abilities,
            "steps": lambda text: steps(text, language()),
            "is_overdue": lambda task: is_overdue(task, engine().clock.now())}


def _abilities(user) -> Abilities:
    """What the signed-in user may do at all, as the engine answers it (none on a failure's page,
    which must not ask the engine again)."""
    navigation = _navigation(user.username)
    return navigation.abilities if navigation else Abilities(False, False, False, False, False)


def _navigation(username: str) -> Navigation | None:
    """The header's abilities and inbox count: one engine question per page view."""
    if g.get("failed"):
        return None
    if g.get("navigation") is None or g.navigation[0] != username:
        g.navigation = (username, engine().navigation(username, g.get("inbox_total")))
    return g.navigation[1]


def _inbox_count() -> int | None:
    """The navigation's inbox count."""
    navigation = _navigation(g.user.username) if g.get("user") else None
    return navigation.inbox if navigation else None


def _unread_count() -> int | None:
    """The navigation's count of unread notifications (the bell)."""
    navigation = _navigation(g.user.username) if g.get("user") else None
    return navigation.unread if navigation else None


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["DISPLAY_TIMEZONE"])


def _when(moment: datetime | None, with_time: bool = True) -> str:
    if moment is None:
        return ""
    local = moment.astimezone(_zone())
    return local.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")


def _age(moment: datetime | None) -> str:
    if moment is None:
        return ""
    minutes = max(0, int((engine().clock.now() - moment).total_seconds() // 60))  # the engine's clock, as tests set it
    if minutes < 60:
        return t("minutes", n=minutes)
    if minutes < 60 * 24:
        return t("hours", n=minutes // 60)
    return t("days", n=minutes // (60 * 24))
