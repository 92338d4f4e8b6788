"""A person's notifications (the bell's page), marking them read, their e-mail settings, and the
administrators' mail log. The engine keeps every call to the signed-in person's own rows."""

from __future__ import annotations

from typing import Mapping

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from engine.commands.comments import MENTION
from engine.notify import KINDS, Notification
from webui.current import engine, language, t
from webui.i18n import bilingual, localised
from webui.views import notifications_text  # noqa: F401  (adds the notification pages' messages)

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


def title_of(entry: Notification, procedures: Mapping[str, Mapping[str, str]]) -> str:
    """What the notification is about, in the page's language: its subject or task title, else
    the procedure's name (never its key)."""
    for key in ("subject", "title"):
        value = entry.payload.get(key)
        if isinstance(value, dict) and value:
            return str(value.get(language()) or next(iter(value.values())))
        if isinstance(value, str) and value:
            return bilingual(value, language())
    key = str(entry.payload.get("process_key") or "")
    return localised(procedures.get(key), language(), key)


def text_of(entry: Notification, people: Mapping[str, str]) -> str:
    """A comment's text with each `@username` of someone known written as the person's name."""
    return MENTION.sub(lambda m: f"@{people[m.group(1)]}" if m.group(1) in people else m.group(0),
                       str(entry.payload.get("text") or ""))


def target_of(entry: Notification) -> str:
    """The task page, else the instance page, else this list."""
    if entry.task_id and not entry.kind.startswith("request_"):
        return url_for("employee.task", task_id=entry.task_id)
    if entry.instance_id:
        return url_for("employee.instance", instance_id=entry.instance_id)
    return url_for("notifications.index")


@bp.get("")
def index():
    """My notifications, newest first (unread only with ?unread=1)."""
    unread_only = request.args.get("unread") == "1"
    page = engine().notifications(g.user.username, unread_only, request.args.get("page", 1, type=int))
    procedures = {p.key: p.name for p in engine().processes()}
    people = {u.username: u.name for u in engine().users()}
    return render_template("notifications/index.html", page=page, unread_only=unread_only, people=people,
                           title_of=lambda entry: title_of(entry, procedures),
                           text_of=lambda entry: text_of(entry, people), target_of=target_of)


@bp.get("/<int:notification_id>/open")
def open_one(notification_id: int):
    """Mark one read and go on to what it is about (`next`: a path on this site, nothing else)."""
    engine().mark_read(g.user.username, [notification_id])
    target = request.args.get("next", "")
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        target = url_for("notifications.index")
    return redirect(target)


@bp.post("/read")
def mark_read():
    """Mark the chosen notifications read (`all=1`: every one)."""
    if request.form.get("all") == "1":
        count = engine().mark_all_read(g.user.username)
    else:
        ids = [int(i) for i in request.form.getlist("id") if i.isdigit()]
        count = engine().mark_read(g.user.username, ids)
    flash(t("notifications.marked", count=count), "success")
    return redirect(url_for("notifications.index", unread=request.form.get("unread") or None))


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    """Which kinds also come by e-mail (every kind, unless turned off)."""
    if request.method == "POST":
        chosen = set(request.form.getlist("mail"))
        engine().set_notification_preferences(g.user.username, {kind: kind in chosen for kind in KINDS})
        flash(t("notifications.saved"), "success")
        return redirect(url_for("notifications.settings"))
    return render_template("notifications/settings.html", kinds=KINDS,
                           prefs=engine().notification_preferences(g.user.username))


@bp.get("/mail-log")
def mail_log():
    """Every e-mail with its state and last error (administrators; the engine refuses others)."""
    log = engine().mail_log(request.args.get("page", 1, type=int), actor=g.user.username)
    return render_template("notifications/mail_log.html", log=log)
