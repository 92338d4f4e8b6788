"""What administrators do: add users, edit their name, department and roles, set a new
password, deactivate leavers and reactivate them (R7.1.3, R7.1.4).

The engine checks that the signed-in user is an administrator on every call; these views read
the form, put refused fields back beside their inputs (the input kept) and render.
"""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from engine.errors import FieldError, PermissionDenied, UserInvalid
from webui.current import engine, language, t
from webui.views import admin_pages
from webui.views.admin_pages import UserForm
from bootstrap.wiring import hash_password

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def administrators_only():
    """Every administration page is for administrators (403 before any form is read)."""
    if g.get("user") is not None and not engine().abilities(g.user.username).administer:
        raise PermissionDenied(f"{g.user.username} is not an administrator")


def _users_again(form: UserForm, errors: list[FieldError]):
    page = admin_pages.users_page(engine(), g.user.username, language(), form, admin_pages.worded(errors, language()))
    return render_template("admin/users.html", **page), 422


def _user_again(username: str, form: UserForm | None, errors: list[FieldError]):
    page = admin_pages.user_page(engine(), g.user.username, username, language(), form,
                                 admin_pages.worded(errors, language()))
    return render_template("admin/user.html", **page), 422


@bp.get("/users")
def users():
    """Every user with roles and status; a form to add one."""
    return render_template("admin/users.html", **admin_pages.users_page(engine(), g.user.username, language()))


@bp.post("/users")
def add_user():
    """Add a user with an initial password; refused fields come back beside their inputs."""
    form = UserForm.read(request.form)
    problems = admin_pages.new_user_problems(form)
    if problems:
        return _users_again(form, problems)
    try:
        user = engine().add_user(form.username, form.name, list(form.roles), form.department or None,
                                 hash_password(form.password), actor=g.user.username)
    except UserInvalid as err:
        return _users_again(form, err.field_errors)
    flash(t("admin.added", user=user.username), "success")
    return redirect(url_for("admin.users"))


@bp.get("/users/<username>")
def user(username: str):
    """One user: name, department and roles to edit, a new password, deactivate or reactivate."""
    return render_template("admin/user.html", **admin_pages.user_page(engine(), g.user.username, username, language()))


@bp.post("/users/<username>")
def update_user(username: str):
    """Save a user's name, department and roles (one journal entry with what changed)."""
    form = UserForm.read(request.form)
    try:
        engine().edit_user(username, form.name, form.department, list(form.roles), actor=g.user.username)
    except UserInvalid as err:
        return _user_again(username, form, err.field_errors)
    flash(t("admin.saved", user=username), "success")
    return redirect(url_for("admin.user", username=username))


@bp.post("/users/<username>/password")
def set_password(username: str):
    """Give the user a new password."""
    password = request.form.get("password", "")
    problems = admin_pages.password_problems(password)
    if problems:
        return _user_again(username, None, problems)
    engine().set_password(username, hash_password(password), actor=g.user.username)
    flash(t("admin.password_set", user=username), "success")
    return redirect(url_for("admin.user", username=username))


@bp.post("/users/<username>/deactivate")
def deactivate(username: str):
    """Deactivate a leaver once confirmed; their claimed tasks go back to their roles."""
    if request.form.get("confirm") != "yes":
        return _user_again(username, None, [FieldError("confirm", "not confirmed", "confirm_required")])
    done = engine().deactivate_user(username, actor=g.user.username)
    flash(t("admin.deactivated", user=username, n=len(done.released)), "success")
    return redirect(url_for("admin.user", username=username))


@bp.post("/users/<username>/reactivate")
def reactivate(username: str):
    """Let a deactivated user sign in and act again."""
    engine().reactivate_user(username, actor=g.user.username)
    flash(t("admin.reactivated", user=username), "success")
    return redirect(url_for("admin.user", username=username))
