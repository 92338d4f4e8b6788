"""Signing in and out, the session's user and language, and CSRF tokens on every POST.

The cookie carries only a random session token (plus the CSRF token and, before sign-in, the
language); whether the token still means a signed-in user is asked of the server-side session
store on every request, so signing out, the 8-hour limit and deactivation end it everywhere.
"""

from __future__ import annotations

import hmac
import logging
import re
import secrets
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from werkzeug.security import check_password_hash

from webui.current import browser_language, engine, t
from webui.i18n import LANGUAGES, normalise
from webui.security import limit_request_size, sign_in_guard, web_sessions
from bootstrap.wiring import DEMO_PASSWORD

bp = Blueprint("auth", __name__)
log = logging.getLogger("zhidu.webui.auth")

# Endpoints anyone may reach without signing in.
PUBLIC = {"auth.sign_in", "auth.set_language", "static"}
API_PREFIX = "/api/"
# Compared against when the username is unknown, so both paths cost one hash check.
_DUMMY_HASH = "pbkdf2:sha256:1000$zhidu$" + "0" * 64
USERNAME_MAX = 100    # the users table's column: every storable username can sign in
PASSWORD_MAX = 1024   # hashing a longer one would be work for nothing
# Control characters, spaces and backslashes: browsers drop tabs and newlines from a URL and
# read `\` as `/`, so `/<TAB>/evil.example` would become `//evil.example`, another site.
_UNSAFE_IN_PATH = re.compile(r"[\x00-\x20\x7f\\]")


def csrf_token() -> str:
    """The session's CSRF token, made on first use; every POST form carries it."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


@bp.before_app_request
def load_user_and_check():
    """Load the signed-in user, bound the request's size, reject a POST without the session's
    CSRF token, and send anyone not signed in to the sign-in page."""
    g.user, g.language = None, None
    if request.path.startswith(API_PREFIX):  # the API takes bearer tokens only (webui/api/auth.py)
        return None
    if "sid" in session:
        _load_user(session["sid"])
    limit_request_size()
    if request.method == "POST":
        sent, expected = request.form.get("csrf_token", ""), session.get("csrf", "")
        if not sent or not expected or not hmac.compare_digest(sent, expected):
            abort(400)
    if g.user is None and request.endpoint not in PUBLIC:
        if request.endpoint is not None:
            flash(t("sign_in.required"), "warning")
        return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
    return None


def _load_user(token: str) -> None:
    """Set g.user and g.language from the server-side session, or forget the token."""
    check = web_sessions().check(token)  # a deactivated user's sessions end there
    if check.user is not None:
        g.user, g.language = check.user, check.language
        return
    session.pop("sid", None)
    if check.expired:
        flash(t("session.expired"), "warning")


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    """Show the sign-in form; check the password and start a session."""
    if request.method == "GET":
        return _form(request.args.get("next", ""))
    username, password = request.form.get("username", "").strip(), request.form.get("password", "")
    address = request.remote_addr or "unknown"
    too_long = _too_long(username, password)
    if too_long:
        flash(too_long, "danger")
        return _form(request.form.get("next", ""), 400)
    wait = sign_in_guard().locked_for(username, address)
    if wait > 0:  # checked before the password, so a locked account cannot be guessed at
        flash(t("sign_in.locked", minutes=max(1, round(wait / 60))), "danger")
        return _form(request.form.get("next", ""), 429)
    stored = engine().password_hash(username) if username else None
    if check_password_hash(stored or _DUMMY_HASH, password) and stored:
        sign_in_guard().succeeded(username, address)
        _start_session(username)
        log.info("sign-in: %s from %s", username, address)
        return redirect(safe_next(request.form.get("next")))
    sign_in_guard().failed(username, address)
    log.warning("failed sign-in for %r from %s", username, address)
    flash(t("sign_in.failed"), "danger")
    return _form(request.form.get("next", ""))


def _form(next_page: str, status: int = 200):
    demo = DEMO_PASSWORD if current_app.config.get("SHOW_DEMO_PASSWORD", True) and status != 429 else None
    return render_template("auth/sign_in.html", next=safe_next(next_page, ""), demo_password=demo,
                           username_max=USERNAME_MAX, password_max=PASSWORD_MAX), status


def _too_long(username: str, password: str) -> str | None:
    """The message naming the field that is longer than any account's, if one is."""
    if len(username) > USERNAME_MAX:
        return t("sign_in.too_long", field=t("sign_in.username"), limit=USERNAME_MAX)
    if len(password) > PASSWORD_MAX:
        return t("sign_in.too_long", field=t("sign_in.password"), limit=PASSWORD_MAX)
    return None


def _start_session(username: str) -> None:
    """A fresh cookie (no fixation) holding a new server-side session, in the user's language:
    the one stored on them, else the one chosen on this device before signing in (then stored)."""
    chosen = session.get("lang")
    if "sid" in session:  # signing in again ends the session this browser had
        web_sessions().end(session["sid"])
    stored = web_sessions().language(username)
    if stored not in LANGUAGES and chosen in LANGUAGES:
        web_sessions().set_language(username, chosen)
    token = web_sessions().open(username)
    session.clear()
    session.permanent = True
    session.update(sid=token, csrf=secrets.token_urlsafe(32))
    language = stored if stored in LANGUAGES else chosen
    if language in LANGUAGES:
        session["lang"] = language


@bp.post("/sign-out")
def sign_out():
    """End the session on the server, so no copy of the cookie still works (the language stays)."""
    if "sid" in session:
        web_sessions().end(session["sid"])
    lang = session.get("lang") or g.get("language")
    session.clear()
    if lang in LANGUAGES:
        session["lang"] = lang
    flash(t("signed_out"), "info")
    return redirect(url_for("auth.sign_in"))


@bp.post("/language")
def set_language():
    """Switch between Chinese and English and go back to the page; a signed-in user's choice
    is kept on them, for every device."""
    lang = normalise(request.form.get("lang") or browser_language())
    session["lang"] = lang
    if g.user is not None:
        web_sessions().set_language(g.user.username, lang)
        g.language = lang
    return redirect(safe_next(request.form.get("next")))


def safe_next(target: str | None, default: str | None = None) -> str:
    """`target` if it is a path on this site, else `default` (the inbox)."""
    if (target and len(target) <= 2048 and target.startswith("/") and not target.startswith("//")
            and not _UNSAFE_IN_PATH.search(target)):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return default if default is not None else url_for("employee.inbox")
