"""What every employee does: inbox, tasks and their forms, starting procedures, following cases."""

from __future__ import annotations

from io import BytesIO
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, send_file, url_for

from engine.errors import PermissionDenied, ZhiduError
from webui.auth import safe_next
from webui.current import engine, language, t
from webui.views import pages
from webui.views.form_fields import read_submission, read_uploads
from webui.views.form_values import upload_limit
from webui.views.task_forms import FIELD as FORM_REF, TaskForms

bp = Blueprint("employee", __name__)


def zone() -> ZoneInfo:
    """The organisation's time zone, in which pages show times."""
    return ZoneInfo(current_app.config["DISPLAY_TIMEZONE"])


def with_uploads(form: Any, data: dict[str, Any], shown: dict[str, Any]) -> None:
    """Keep the files sent for the form's attachment fields and put their references into
    `data` (and into `shown`, so a form sent back for other errors keeps them). A file too large
    or of a type the field refuses raises FormInvalid before any file is stored."""
    uploads = read_uploads(form, request.files) if form else []
    stored = engine().store_uploads(form.key, form.schema, uploads) if uploads else {}
    data.update(stored)
    shown.update(stored)


def posted_form_limit() -> int | None:
    """For a multipart post of a task's or start form: the request size its attachments need
    (webui/security.py asks; None for other requests or a form that cannot be read)."""
    args = request.view_args or {}
    if g.get("user") is None:
        return None
    try:
        if request.endpoint == "employee.complete":
            form = engine().task(args.get("task_id", ""), g.user.username).form  # the body is not read yet
        elif request.endpoint == "employee.start":
            form = pages.startable(engine(), g.user.username, args.get("key", "")).start_form
        else:
            return None
    except ZhiduError:  # the view itself says what is wrong
        return None
    return upload_limit(form) or None


def task_forms() -> TaskForms:
    return current_app.extensions["zhidu.task_forms"]


def submitted_form(task_id: str):
    """The form a submission to `task_id` answers: the one its page was drawn with (the page's
    signed reference, webui/views/task_forms.py), else the task's as the engine reads it."""
    return task_forms().form(task_id, g.user.username, request.form.get(FORM_REF, ""),
                             lambda: engine().task(task_id, g.user.username).form)


def task_page(task_id: str, values: Any = None, errors: Any = None) -> str:
    """The task's page, its form carrying the reference a submission finds the form by."""
    page = pages.task_page(engine(), g.user, task_id, language(), values, errors, zone())
    page["form_ref"] = task_forms().reference(task_id, g.user.username, page["instance"].version_hash,
                                              page["task"].form)
    return render_template("employee/task.html", **page)


def back_to(default: str) -> str:
    """Where a button's form asked to return to (its `next` field), else `default`."""
    return safe_next(request.form.get("next"), default)


@bp.get("/")
def inbox():
    """My tasks and the unclaimed tasks offered to my roles."""
    page = pages.inbox(engine(), g.user.username, request.args, current_app.config["INBOX_PAGE_SIZE"], language())
    g.inbox_total = page["total_all"]
    return render_template("employee/inbox.html", **page)


@bp.get("/team")
def team():
    """A manager's view of the open tasks of their department (403 for someone who manages none)."""
    if not engine().abilities(g.user.username).manage:
        raise PermissionDenied(f"{g.user.username} manages no department")
    return render_template("employee/team.html", **pages.team(engine(), g.user, request.args.get("q", "")))


@bp.post("/tasks/<task_id>/claim")
def claim(task_id: str):
    """Take an offered task."""
    engine().claim(task_id, g.user.username)
    flash(t("claimed"), "success")
    return redirect(back_to(url_for("employee.task", task_id=task_id)))


@bp.post("/tasks/<task_id>/release")
def release(task_id: str):
    """Give a claimed task back to its candidates."""
    engine().release(task_id, g.user.username)
    flash(t("released"), "success")
    return redirect(back_to(url_for("employee.inbox")))


@bp.post("/tasks/<task_id>/reassign")
def reassign(task_id: str):
    """A manager gives a task to someone."""
    to_user = request.form.get("to_user", "")
    names = pages.people_names(engine())
    if to_user not in names:  # nobody chosen (or a name that is not a user): say so, change nothing
        flash(t("walker.reassign_nobody"), "danger")
        return redirect(back_to(url_for("employee.team", _anchor=task_id)))
    task = engine().reassign(task_id, g.user.username, to_user)
    flash(t("reassigned", user=names[to_user]), "success")
    return redirect(back_to(url_for("employee.team", _anchor=task.id)))


@bp.get("/tasks/<task_id>")
def task(task_id: str):
    """A task's form, with the case data it needs shown above it."""
    return task_page(task_id)


@bp.post("/tasks/<task_id>")
def complete(task_id: str):
    """Submit a task's form; on field errors the form comes back with the input kept."""
    form = submitted_form(task_id)
    data, shown = read_submission(form, request.form) if form else ({}, {})
    g.form_invalid = lambda errors: task_page(task_id, shown, errors)
    with_uploads(form, data, shown)
    engine().complete_task(task_id, g.user.username, data)
    flash(t("completed"), "success")
    return redirect(url_for("employee.inbox"))


@bp.get("/start")
def start_list():
    """The procedures I may start."""
    return render_template("employee/start_list.html", processes=engine().startable(g.user.username))


@bp.get("/start/<key>")
def start_form(key: str):
    """A procedure's start form."""
    return render_template("employee/start.html", **pages.start_page(engine(), g.user.username, key, language()))


@bp.post("/start/<key>")
def start(key: str):
    """Start an instance and go to its page."""
    form = pages.startable(engine(), g.user.username, key).start_form
    data, shown = read_submission(form, request.form) if form else ({}, {})
    g.form_invalid = lambda errors: render_template(
        "employee/start.html", **pages.start_page(engine(), g.user.username, key, language(), shown, errors))
    with_uploads(form, data, shown)
    instance = engine().start(key, g.user.username, data)
    flash(t("started"), "success")
    return redirect(url_for("employee.instance", instance_id=instance.id))


@bp.get("/requests")
def my_requests():
    """Instances I started, their status and current step."""
    return render_template("employee/requests.html", **pages.requests(engine(), g.user.username, language()))


@bp.get("/instances/<instance_id>")
def instance(instance_id: str):
    """An instance: diagram with progress, history, current data."""
    page = pages.instance_page(engine(), g.user.username, instance_id, language(), zone())
    return render_template("employee/instance.html", **page)


@bp.get("/instances/<instance_id>/files/<sha256>")
def attachment(instance_id: str, sha256: str):
    """Download a file attached to an instance (whoever may see the instance and its field)."""
    found = engine().attachment(instance_id, sha256, g.user.username)
    response = send_file(BytesIO(found.content), mimetype=found.media_type, as_attachment=True,
                         download_name=found.name, etag=sha256, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/instances/<instance_id>/withdraw")
def withdraw(instance_id: str):
    """The requester takes back their request, with a reason; without one the page says so."""
    reason = request.form.get("reason", "")
    g.form_invalid = lambda errors: render_template(
        "employee/instance.html", withdraw_error=pages.error_texts(errors, language()).get("reason", ""),
        reason=reason, **pages.instance_page(engine(), g.user.username, instance_id, language(), zone()))
    engine().withdraw(instance_id, g.user.username, reason)
    flash(t("withdrawn"), "success")
    return redirect(url_for("employee.instance", instance_id=instance_id))
