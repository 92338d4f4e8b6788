"""Signing in and out, the session's user and language, and CSRF tokens on every POST."""

from __future__ import annotations

import hmac
import logging
import secrets
import time

from flask import (
    Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for,
)
from werkzeug.security import check_password_hash

from engine.errors import PermissionDenied, UserNotFound
from webui.current import engine, t
from webui.i18n import normalise
from webui.wiring import DEMO_PASSWORD

bp = Blueprint("auth", __name__)
log = logging.getLogger("zhidu.webui.auth")

# Endpoints anyone may reach without signing in.
PUBLIC = {"auth.sign_in", "auth.set_language", "static"}
# Compared against when the username is unknown, so both paths cost one hash check.
_DUMMY_HASH = "pbkdf2:sha256:1000$zhidu$" + "0" * 64


def csrf_token() -> str:
    """The session's CSRF token, made on first use; every POST form carries it."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


@bp.before_app_request
def load_user_and_check():
    """Load the signed-in user, reject a POST without the session's CSRF token, and send
    anyone not signed in to the sign-in page."""
    g.user = None
    if "user" in session and _idle_too_long():
        session.clear()
        flash(t("session.expired"), "warning")
    if "user" in session:
        try:
            g.user = engine().user(session["user"])
        except (UserNotFound, PermissionDenied):
            session.pop("user")
    if request.method == "POST":
        sent, expected = request.form.get("csrf_token", ""), session.get("csrf", "")
        if not sent or not expected or not hmac.compare_digest(sent, expected):
            abort(400)
    if g.user is None and request.endpoint not in PUBLIC:
        if request.endpoint is not None:
            flash(t("sign_in.required"), "warning")
        return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
    return None


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    """Show the sign-in form; check the password and start a session."""
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        throttle = current_app.extensions["zhidu.throttle"]
        keys = (f"user:{username.lower()}", f"addr:{request.remote_addr}")
        wait = throttle.locked_for(*keys)
        if wait > 0:  # checked before the password, so a locked account cannot be guessed at
            flash(t("sign_in.locked", minutes=max(1, round(wait / 60))), "danger")
            return render_template("auth/sign_in.html", next=request.form.get("next", ""), demo_password=None), 429
        stored = engine().password_hash(username) if username else None
        if check_password_hash(stored or _DUMMY_HASH, request.form.get("password", "")) and stored:
            throttle.succeeded(keys[0])
            lang = session.get("lang")
            session.clear()
            session.permanent = True
            session.update(user=username, lang=normalise(lang), csrf=secrets.token_urlsafe(32), seen=time.time())
            log.info("sign-in: %s from %s", username, request.remote_addr)
            return redirect(safe_next(request.form.get("next")))
        throttle.failed(*keys)
        log.warning("failed sign-in for %r from %s", username[:100], request.remote_addr)
        flash(t("sign_in.failed"), "danger")
    demo = DEMO_PASSWORD if current_app.config.get("SHOW_DEMO_PASSWORD", True) else None
    return render_template("auth/sign_in.html", next=request.args.get("next", ""), demo_password=demo)


@bp.post("/sign-out")
def sign_out():
    """End the session (the language choice stays)."""
    lang = session.get("lang")
    session.clear()
    session["lang"] = normalise(lang)
    flash(t("signed_out"), "info")
    return redirect(url_for("auth.sign_in"))


@bp.post("/language")
def set_language():
    """Switch between Chinese and English and go back to the page."""
    session["lang"] = normalise(request.form.get("lang"))
    return redirect(safe_next(request.form.get("next")))


def _idle_too_long() -> bool:
    """True when the session saw no request for SESSION_IDLE_MINUTES; otherwise note this one."""
    now, seen = time.time(), session.get("seen", 0)
    if now - seen > current_app.config.get("SESSION_IDLE_MINUTES", 30) * 60:
        return True
    if now - seen > 60:  # rewrite the cookie at most once a minute
        session["seen"] = now
    return False


def safe_next(target: str | None, default: str | None = None) -> str:
    """`target` if it is a path on this site, else `default` (the inbox)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default or url_for("employee.inbox")
