"""Comments on an instance, posted from its page or one of its tasks' pages (issue 15.3).

The engine checks who may comment (whoever may see the instance), keeps each comment in the
instance's journal and notifies the people it mentions; a blank or overlong comment comes back
beside the field on the instance page, with the text kept.
"""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from webui.auth import safe_next
from webui.current import engine, language, t
from webui.views import comments_text  # noqa: F401  (adds the comments' messages)
from webui.views import pages
from webui.views.employee import zone

bp = Blueprint("comments", __name__)


@bp.post("/instances/<instance_id>/comments")
def post(instance_id: str):
    """Add a comment and go back to the page it was written on, at its comments."""
    text = request.form.get("text", "")
    back = safe_next(request.form.get("next"), url_for("employee.instance", instance_id=instance_id))
    g.form_invalid = lambda errors: render_template(
        "employee/instance.html", comment_error=pages.error_texts(errors, language()).get("text", ""),
        comment_text=text, **pages.instance_page(engine(), g.user.username, instance_id, language(), zone()))
    engine().comment(instance_id, g.user.username, text)
    flash(t("comments.posted"), "success")
    return redirect(back.split("#")[0] + "#comments")
