"""What auditors do: search every instance, read its history, step through it on the diagram,
verify it, and download it as a bundle. Everything reads; the verify button only replays."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, Response, current_app, g, render_template, request

from webui.current import engine, language
from webui.views import audit_pages

bp = Blueprint("audit", __name__, url_prefix="/audit")


@bp.before_request
def auditors_only():
    """Every audit page is for auditors, the director and administrators (403 for others)."""
    audit_pages.require_auditor(g.user)


@bp.app_context_processor
def audit_helpers():
    return {"may_audit": audit_pages.may_audit}


@bp.get("/")
def search():
    """Instances by procedure, status, start date, participant and a data value."""
    page = audit_pages.search_page(engine(), g.user, request.args, ZoneInfo(current_app.config["DISPLAY_TIMEZONE"]),
                                   language(), current_app.config["INBOX_PAGE_SIZE"])
    return render_template("audit/search.html", **page)


@bp.get("/instances/<instance_id>")
def instance(instance_id: str):
    """An instance's timeline with its data changes, and the step-through."""
    page = audit_pages.instance_page(engine(), g.user.username, instance_id, language())
    return render_template("audit/instance.html", **page)


@bp.post("/instances/<instance_id>/verify")
def verify(instance_id: str):
    """Replay the instance and show the verdict (reads only)."""
    verdict = engine().audit_verdict(g.user.username, instance_id)
    page = audit_pages.instance_page(engine(), g.user.username, instance_id, language(), verdict)
    return render_template("audit/instance.html", **page)


@bp.get("/instances/<instance_id>/export")
def export(instance_id: str):
    """The instance as an export bundle for offline checking (`zhidu verify --bundle`)."""
    name, text = audit_pages.export_file(engine(), instance_id, g.user.username)
    return Response(text, mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
