"""What process owners do: edit procedures in the browser, validate and deploy them as
versions, compare versions, and move running instances to a newer one.

The facade checks that the user is a process owner; the views check it too, so that others
get a 403 page before any work is done.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, g, jsonify, redirect, render_template, request, url_for

from engine.errors import DefinitionInvalid, InvalidInput, MigrationRefused, WarningsNotAccepted
from webui.current import engine, language, t
from webui.views import owner_pages as pages
from webui.views import owner_text  # noqa: F401  (registers the owner pages' messages)

bp = Blueprint("owner", __name__, url_prefix="/owner")


@bp.before_request
def owners_only():
    """Everyone else gets a 403 page here; the facade refuses them as well."""
    if g.get("user") is not None and not engine().abilities(g.user.username).own:
        abort(403)


_JSON_ENDPOINTS = {"owner.validate", "owner.deploy", "owner.save_draft", "owner.load_draft", "owner.discard_draft"}


@bp.errorhandler(InvalidInput)
def invalid_input(err: InvalidInput):
    """Bad input names its field: as JSON to the editor, as a message on the procedures page."""
    message = pages.describe_invalid(err, t)
    if request.endpoint in _JSON_ENDPOINTS:
        return jsonify(error=message, field=getattr(err, "field", None)), 400
    flash(message, "danger")
    return redirect(url_for("owner.index"))


@bp.get("/")
def index():
    """Every procedure with its version history; create a new one."""
    return render_template("owner/catalog.html", **pages.catalog(engine(), g.user.username))


@bp.get("/<key>/edit")
def edit(key: str):
    """The editor, opened on the latest version of `key`."""
    data = pages.editor_data(engine(), g.user.username, key, language())
    draft = engine().draft(key, g.user.username)
    data["draft"] = _when(draft.saved_at) if draft else None
    return render_template("owner/editor.html", editor=data)


@bp.post("/new")
def create():
    """The editor for a new procedure: an empty diagram or an uploaded .bpmn file."""
    upload = request.files.get("bpmn")
    data = pages.new_editor_data(engine(), g.user.username, request.form, upload.read() if upload else None,
                                 language())
    return render_template("owner/editor.html", editor=data)


@bp.post("/validate")
def validate():
    """The problems of the posted edit (errors and warnings), as JSON."""
    bundle = pages.bundle_from_payload(engine(), g.user.username, request.form.get("payload"))
    return jsonify(problems=pages.problem_list(engine().validate(bundle, g.user.username), language()))


@bp.post("/deploy")
def deploy():
    """Deploy the posted edit as a new version: its errors (422) refuse it; its warnings (409)
    need a reason to deploy anyway, which the version's history keeps."""
    bundle = pages.bundle_from_payload(engine(), g.user.username, request.form.get("payload"))
    try:
        result = engine().deploy_edited(bundle, g.user.username, request.form.get("comment", "").strip(),
                                        request.form.get("warnings_reason", ""))
    except DefinitionInvalid as err:
        return jsonify(problems=pages.problem_list(err.problems, language())), 422
    except WarningsNotAccepted as err:
        return jsonify(problems=pages.problem_list(err.warnings, language()), needs_reason=True), 409
    return jsonify(deployed=result.to_dict(), problems=[],
                   history=url_for("owner.index", _anchor=f"history-{result.key}"),
                   compare=url_for("owner.compare", key=result.key, new=result.version),
                   migrate=url_for("owner.migration", key=result.key, to=result.version))


@bp.post("/<key>/draft")
def save_draft(key: str):
    """Keep the posted edit as the user's draft of `key` (not a version)."""
    pages.bundle_from_payload(engine(), g.user.username, request.form.get("payload"))  # checks it
    draft = engine().save_draft(key, g.user.username, request.form.get("payload", ""))
    return jsonify(saved_at=_when(draft.saved_at))


@bp.get("/<key>/draft")
def load_draft(key: str):
    """The user's draft of `key` as the editor posted it (404 when there is none)."""
    draft = engine().draft(key, g.user.username)
    if draft is None:
        return jsonify(error=t("owner.no_draft")), 404
    return jsonify(payload=draft.payload, saved_at=_when(draft.saved_at))


@bp.post("/<key>/draft/discard")
def discard_draft(key: str):
    """Forget the user's draft of `key`."""
    engine().discard_draft(key, g.user.username)
    return jsonify(discarded=True)


@bp.post("/form-preview")
def form_preview():
    """A form definition being edited, drawn as the task page would draw it."""
    preview = pages.form_preview(request.form.get("text", ""), language(), engine().users())
    return jsonify(html=render_template("owner/form_preview.html", **preview), problems=preview["problems"])


@bp.get("/<key>/compare")
def compare(key: str):
    """What changed between two versions, listed and coloured on the diagram."""
    return render_template("owner/compare.html", **pages.compare_page(engine(), g.user.username, key, request.args, language()))


@bp.get("/<key>/migrate")
def migration(key: str):
    """The dry run: which running instances can move to a version, and why others cannot."""
    return render_template("owner/migrate.html", **pages.migrate_page(engine(), g.user.username, key, request.args))


@bp.post("/<key>/migrate")
def migrate(key: str):
    """Move the chosen instances to the target version, each in its own journaled command,
    after the owner confirmed the move."""
    target = pages.int_or_none(request.form.get("to"))
    chosen = request.form.getlist("instance")
    if not chosen or request.form.get("confirm") != "yes":
        flash(t("owner.choose_and_confirm"), "warning")
        return redirect(url_for("owner.migration", key=key, to=target or ""))
    for instance_id in chosen:
        try:
            moved = engine().migrate(instance_id, g.user.username, target)
            flash(t("owner.migrated", instance=instance_id[:8], version=moved.version), "success")
        except MigrationRefused as err:
            flash(t("owner.not_migrated", instance=instance_id[:8], reasons="; ".join(err.reasons)), "danger")
    return redirect(url_for("owner.migration", key=key, to=target or ""))


def _when(moment) -> str:
    return current_app.jinja_env.filters["when"](moment)
