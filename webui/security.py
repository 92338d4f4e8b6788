"""Response headers, request size limits, sessions and sign-in throttling: the web app's own
defences.

The Content-Security-Policy allows only the app's own scripts (no inline script: page data is
passed in `<script type="application/json">` blocks, read by static JS) and its own styles plus
inline style attributes, which bpmn-js sets on the diagrams it draws.

Every request body is bounded (MAX_CONTENT_LENGTH); only the process owner's pages, which post
whole BPMN diagrams and form files, get the larger UPLOAD_MAX_CONTENT_LENGTH, and a task's or
start form with file fields, posted as multipart, gets its fields' `maxSize`s plus the usual
limit for the rest. A body over the limit is refused with a 413 page before anything reads it
into memory.
"""

from __future__ import annotations

import logging
import os
from datetime import timedelta

from flask import Flask, Response, current_app, render_template, request
from markupsafe import escape
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix

from engine.commands.signin import SessionPolicy, SignInGuard, SignInPolicy, WebSessions
from webui.current import t

log = logging.getLogger("zhidu.webui.security")

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
SESSION_LIFETIME = timedelta(hours=8)  # a working day from sign-in, then sign in again
# Blueprints whose POSTs carry whole diagrams and form files.
UPLOAD_BLUEPRINTS = {"owner"}
DEFAULTS = {
    "SESSION_IDLE_MINUTES": 30,            # or after half an hour without a request
    "SIGN_IN_MAX_FAILURES": 5,             # per username from one address
    "SIGN_IN_ADDRESS_MAX_FAILURES": 30,    # per address, whichever usernames it tries
    "SIGN_IN_LOCK_MINUTES": 5,
    "MAX_CONTENT_LENGTH": 256 * 1024,
    "MAX_FORM_MEMORY_SIZE": 256 * 1024,
    "MAX_FORM_PARTS": 1000,
    "UPLOAD_MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    # Reverse proxies in front of zhidu (`ZHIDU_TRUSTED_PROXIES`): behind one, every request
    # comes from the proxy's address, so the throttle must read the client's from X-Forwarded-For.
    "TRUSTED_PROXIES": None,
}


def register(app: Flask) -> None:
    """Apply the defaults (config may override them), the throttle, the session store, the
    413 page and the headers to `app`."""
    for key, value in DEFAULTS.items():
        if app.config.get(key) is None:
            app.config[key] = value
    proxies = int(app.config["TRUSTED_PROXIES"] or os.environ.get("ZHIDU_TRUSTED_PROXIES") or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    zhidu = app.extensions["zhidu"]
    minutes = timedelta(minutes=1)
    app.extensions["zhidu.signin"] = SignInGuard(zhidu.uow_factory, zhidu.clock, SignInPolicy(
        app.config["SIGN_IN_MAX_FAILURES"], app.config["SIGN_IN_ADDRESS_MAX_FAILURES"],
        app.config["SIGN_IN_LOCK_MINUTES"] * minutes, app.config["SIGN_IN_LOCK_MINUTES"] * minutes))
    app.extensions["zhidu.sessions"] = WebSessions(zhidu.uow_factory, zhidu.clock, SessionPolicy(
        app.config["PERMANENT_SESSION_LIFETIME"], app.config["SESSION_IDLE_MINUTES"] * minutes))
    app.register_error_handler(RequestEntityTooLarge, _too_large)
    app.after_request(_headers)


def sign_in_guard() -> SignInGuard:
    return current_app.extensions["zhidu.signin"]


def web_sessions() -> WebSessions:
    return current_app.extensions["zhidu.sessions"]


def limit_request_size() -> None:
    """Give the owner's posts of diagrams their larger limit and refuse a declared body over
    the limit before anything reads it. Auth's check calls this for every request once the
    user is known, so that the 413 page speaks their language."""
    if request.blueprint in UPLOAD_BLUEPRINTS and request.method == "POST":
        limit = current_app.config["UPLOAD_MAX_CONTENT_LENGTH"]
        request.max_content_length = limit
        request.max_form_memory_size = limit
    elif request.method == "POST" and request.mimetype == "multipart/form-data":
        from webui.views.employee import posted_form_limit  # it reads the form the post is for

        files = posted_form_limit()
        if files:  # the other fields keep their own limit (max_form_memory_size)
            request.max_content_length = files + current_app.config["MAX_CONTENT_LENGTH"]
    limit = request.max_content_length
    if limit is not None and (request.content_length or 0) > limit:
        raise RequestEntityTooLarge()


def _too_large(_err: RequestEntityTooLarge):
    """A short page in the user's language naming the limit (never the request echoed back)."""
    limit = request.max_content_length or current_app.config["MAX_CONTENT_LENGTH"]
    message = t("error.413", size=_size(limit))
    log.warning("request to %s refused: body of %s bytes over the limit of %s", request.path,
                request.content_length, limit)
    try:
        body = render_template("errors/error.html", status=413, message=message)
    except Exception:  # the page itself needs what just broke
        log.exception("error page failed")
        body = f"<!doctype html><title>413</title><p>{escape(message)}</p>"
    response = current_app.make_response((body, 413))
    response.headers["Connection"] = "close"  # the unread body must not be taken for a next request
    return response


def _size(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"


def _headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if response.mimetype == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")
    return response
