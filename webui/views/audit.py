"""What auditors do: search every instance, read its history, step through it on the diagram,
verify it, download it as a bundle or the search as CSV, and read the organisation's history
of user and role changes. Everything reads; the verify button only replays."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, Response, current_app, g, redirect, render_template, request, session, url_for

from webui.current import engine, language
from webui.views import audit_csv, audit_org, audit_pages

bp = Blueprint("audit", __name__, url_prefix="/audit")


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["DISPLAY_TIMEZONE"])


@bp.before_request
def auditors_only():
    """Every audit page is for auditors, the director and administrators (403 for others)."""
    audit_pages.require_auditor(engine(), g.user)


@bp.get("/")
def search():
    """Instances by procedure, status, start date, participant and a data value."""
    page = audit_pages.search_page(engine(), g.user, request.args, _zone(), language(),
                                   current_app.config["INBOX_PAGE_SIZE"])
    return render_template("audit/search.html", **page)


@bp.get("/export.csv")
def search_csv():
    """Every instance the search finds, as CSV for a spreadsheet (UTF-8 with BOM)."""
    name, text = audit_csv.search_csv(engine(), g.user, request.args, _zone(), language())
    return Response(text, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/instances/<instance_id>")
def instance(instance_id: str):
    """Every journal entry of the instance as a step on the diagram, and the last verdict."""
    verdict = audit_pages.take_verdict(session, instance_id)
    page = audit_pages.instance_page(engine(), g.user.username, instance_id, language(), _zone(), verdict)
    return render_template("audit/instance.html", **page)


@bp.post("/instances/<instance_id>/verify")
def verify(instance_id: str):
    """Replay the instance (reads only), then show the verdict on the instance page."""
    audit_pages.keep_verdict(session, engine().verify(instance_id, g.user.username))
    return redirect(url_for("audit.instance", instance_id=instance_id, _anchor="verdict"), code=303)


@bp.get("/instances/<instance_id>/export")
def export(instance_id: str):
    """The instance as an export bundle for offline checking (`zhidu verify --bundle`)."""
    name, text = audit_pages.export_file(engine(), instance_id, g.user.username)
    return Response(text, mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/organisation")
def organisation():
    """Who added users, changed roles and deactivated leavers, when; and whether the chain holds."""
    page = audit_org.history_page(engine(), g.user.username, language())
    return render_template("audit/organisation.html", **page)
