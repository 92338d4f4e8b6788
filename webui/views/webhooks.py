"""Administrators' webhook pages: the subscriptions (add with its secret shown once, remove) and
the delivery log, newest first. The engine checks the administrator on every call and the URL
and events field by field; these views read the form, word the refusals and render."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from engine.errors import FieldError, FormInvalid, PermissionDenied
from engine.outbox import EVENTS
from webui.current import engine, language, t
from webui.i18n import translate
from webui.views import webhooks_text  # noqa: F401  (adds the webhook pages' messages)

bp = Blueprint("webhooks", __name__, url_prefix="/admin/webhooks")


@bp.before_request
def administrators_only():
    """Every webhook page is for administrators (403 before any form is read)."""
    if g.get("user") is not None and not engine().abilities(g.user.username).administer:
        raise PermissionDenied(f"{g.user.username} is not an administrator")


def _page(url: str = "", chosen: tuple[str, ...] = (), errors: dict[str, str] | None = None,
          secret: str | None = None) -> dict[str, Any]:
    return {"subscriptions": engine().webhook_subscriptions(actor=g.user.username), "events": EVENTS,
            "url": url, "chosen": chosen, "errors": errors or {}, "secret": secret}


def worded(errors: list[FieldError], lang: str) -> dict[str, str]:
    """field -> message in `lang` (the first error of each field)."""
    shown: dict[str, str] = {}
    for error in errors:
        shown.setdefault(error.field, translate(f"webhooks.error.{error.code}", lang, **error.params))
    return shown


@bp.get("")
def index():
    """The subscriptions in force and a form to add one."""
    return render_template("webhooks/subscriptions.html", **_page())


@bp.post("")
def add():
    """Subscribe a URL; the page shows its secret this once (never stored in the session)."""
    url, chosen = request.form.get("url", "").strip(), tuple(request.form.getlist("events"))
    try:
        added = engine().add_webhook(url, list(chosen), actor=g.user.username)
    except FormInvalid as err:
        return render_template("webhooks/subscriptions.html",
                               **_page(url, chosen, worded(err.field_errors, language()))), 422
    return render_template("webhooks/subscriptions.html", **_page(secret=added.secret)), 201


@bp.post("/<subscription_id>/remove")
def remove(subscription_id: str):
    """Stop sending to a subscription."""
    removed = engine().remove_webhook(subscription_id, actor=g.user.username)
    flash(t("webhooks.removed", url=removed.url), "success")
    return redirect(url_for("webhooks.index"))


@bp.get("/deliveries")
def deliveries():
    """The delivery log, newest first, a page at a time."""
    page = request.args.get("page", "1")
    log = engine().webhook_deliveries(int(page[:6]) if page.isdigit() else 1, actor=g.user.username)
    return render_template("webhooks/deliveries.html", log=log)
