"""What administrators do: add users, change their roles, deactivate leavers (R7.1.3, R7.1.4).

The engine checks that the signed-in user is an administrator on every call; these views only
read the form and render.
"""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from webui.current import engine, t
from webui.wiring import hash_password

bp = Blueprint("admin", __name__, url_prefix="/admin")
MIN_PASSWORD = 8


def _roles() -> list[str]:
    return [r for r in request.form.getlist("roles") if r]


@bp.get("/users")
def users():
    """Every user with roles and status; a form to add one."""
    people = engine().administered_users(g.user.username)
    return render_template("admin/users.html", people=people, organisation=engine().organisation())


@bp.post("/users")
def add_user():
    """Add a user with an initial password."""
    password = request.form.get("password", "")
    if len(password) < MIN_PASSWORD:
        engine().administered_users(g.user.username)  # a non-administrator gets 403, not this message
        flash(t("admin.password_short", n=MIN_PASSWORD), "danger")
        return redirect(url_for("admin.users"))
    user = engine().add_user(request.form.get("username", "").strip(), request.form.get("name", ""), _roles(),
                             request.form.get("department") or None, hash_password(password), actor=g.user.username)
    flash(t("admin.added", user=user.username), "success")
    return redirect(url_for("admin.users"))


@bp.post("/users/<username>/roles")
def set_roles(username: str):
    """Replace a user's roles."""
    engine().set_roles(username, _roles(), actor=g.user.username)
    flash(t("admin.roles_set", user=username), "success")
    return redirect(url_for("admin.users"))


@bp.post("/users/<username>/deactivate")
def deactivate(username: str):
    """Deactivate a leaver; their claimed tasks go back to their roles."""
    done = engine().deactivate_user(username, actor=g.user.username)
    flash(t("admin.deactivated", user=username, n=len(done.released)), "success")
    return redirect(url_for("admin.users"))
