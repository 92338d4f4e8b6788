"""What process owners do: edit procedures in the browser, validate and deploy them as
versions, compare versions, and move running instances to a newer one.

The facade checks that the user is a process owner; the views check it too, so that others
get a 403 page before any work is done.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, jsonify, redirect, render_template, request, url_for

from engine.errors import DefinitionInvalid
from engine.migration import MigrationRefused
from engine.owner import OWNER_ROLE
from webui.current import engine, language, t
from webui.views import owner_pages as pages
from webui.views import owner_text  # noqa: F401  (registers the owner pages' messages)

bp = Blueprint("owner", __name__, url_prefix="/owner")


@bp.before_request
def owners_only():
    """Everyone else gets a 403 page here; the facade refuses them as well."""
    if g.get("user") is not None and OWNER_ROLE not in g.user.roles:
        abort(403)


@bp.get("/")
def index():
    """Every procedure with its version history; create a new one."""
    return render_template("owner/catalog.html", **pages.catalog(engine(), g.user.username))


@bp.get("/<key>/edit")
def edit(key: str):
    """The editor, opened on the latest version of `key`."""
    return render_template("owner/editor.html", editor=pages.editor_data(engine(), g.user.username, key))


@bp.post("/new")
def create():
    """The editor for a new procedure: an empty diagram or an uploaded .bpmn file."""
    upload = request.files.get("bpmn")
    data = pages.new_editor_data(engine(), g.user.username, request.form, upload.read() if upload else None)
    return render_template("owner/editor.html", editor=data)


@bp.post("/validate")
def validate():
    """The problems of the posted edit (errors and warnings), as JSON."""
    bundle = pages.bundle_from_payload(engine(), g.user.username, request.form.get("payload"))
    return jsonify(problems=pages.problem_list(engine().validate(bundle, g.user.username)))


@bp.post("/deploy")
def deploy():
    """Deploy the posted edit as a new version; its problems (422) when it has errors."""
    bundle = pages.bundle_from_payload(engine(), g.user.username, request.form.get("payload"))
    try:
        result = engine().deploy_edited(bundle, g.user.username, request.form.get("comment", "").strip())
    except DefinitionInvalid as err:
        return jsonify(problems=pages.problem_list(err.problems)), 422
    warnings = [p for p in engine().validate(bundle, g.user.username) if p.severity == "warning"]
    return jsonify(deployed=result.to_dict(), problems=pages.problem_list(warnings),
                   history=url_for("owner.index", _anchor=f"history-{result.key}"),
                   compare=url_for("owner.compare", key=result.key, new=result.version),
                   migrate=url_for("owner.migration", key=result.key, to=result.version))


@bp.post("/form-preview")
def form_preview():
    """A form definition being edited, drawn as the task page would draw it."""
    preview = pages.form_preview(request.form.get("text", ""), language())
    return jsonify(html=render_template("owner/form_preview.html", **preview), problems=preview["problems"])


@bp.get("/<key>/compare")
def compare(key: str):
    """What changed between two versions, listed and coloured on the diagram."""
    return render_template("owner/compare.html", **pages.compare_page(engine(), g.user.username, key, request.args))


@bp.get("/<key>/migrate")
def migration(key: str):
    """The dry run: which running instances can move to a version, and why others cannot."""
    return render_template("owner/migrate.html", **pages.migrate_page(engine(), g.user.username, key, request.args))


@bp.post("/<key>/migrate/<instance_id>")
def migrate(key: str, instance_id: str):
    """Move one instance to the chosen version."""
    target = int(request.form.get("to", "0") or 0) or None
    try:
        moved = engine().migrate(instance_id, g.user.username, target)
        flash(t("owner.migrated", instance=instance_id[:8], version=moved.version), "success")
    except MigrationRefused as err:
        flash(t("owner.not_migrated", reasons="; ".join(err.reasons)), "danger")
    return redirect(url_for("owner.migration", key=key, to=target or ""))
