"""Signing in and out, the session's user and language, and CSRF tokens on every POST."""

from __future__ import annotations

import hmac
import secrets

from flask import (
    Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for,
)
from werkzeug.security import check_password_hash

from engine.errors import PermissionDenied, UserNotFound
from webui.current import engine, t
from webui.i18n import normalise
from webui.wiring import DEMO_PASSWORD

bp = Blueprint("auth", __name__)

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
        stored = engine().password_hash(username) if username else None
        if check_password_hash(stored or _DUMMY_HASH, request.form.get("password", "")) and stored:
            lang = session.get("lang")
            session.clear()
            session.update(user=username, lang=normalise(lang), csrf=secrets.token_urlsafe(32))
            return redirect(safe_next(request.form.get("next")))
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


def safe_next(target: str | None, default: str | None = None) -> str:
    """`target` if it is a path on this site, else `default` (the inbox)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default or url_for("employee.inbox")
