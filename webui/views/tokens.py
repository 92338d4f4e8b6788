"""Every signed-in person's API tokens: list them with their last use, make one (its secret
shown on that one page and never again), revoke one after a confirmation page.

The engine checks who may manage whose tokens; these pages only ever show the signed-in
person's own. The name and lifetime rules are the engine's (`token_problems`), worded here.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, make_response, redirect, render_template, request, url_for

from engine.commands.tokens import MAX_DAYS, MAX_NAME, TokenView, token_problems
from engine.errors import FieldError, NotFound
from webui.current import engine, t

bp = Blueprint("tokens", __name__, url_prefix="/tokens")


def _page(form: dict[str, str] | None = None, errors: dict[str, str] | None = None,
          created: TokenView | None = None, secret: str | None = None) -> str:
    tokens = engine().tokens(g.user.username, actor=g.user.username)
    return render_template("tokens/index.html", tokens=tokens, form=form or {"name": "", "expires_days": ""},
                           errors=errors or {}, created=created, secret=secret, max_name=MAX_NAME,
                           max_days=MAX_DAYS, api_url=request.url_root + "api/v1/me")


def _read(form: dict[str, str]) -> tuple[int | None, list[FieldError]]:
    """The lifetime in days (None: never) and what is wrong with the form."""
    text = form["expires_days"]
    days: Any = None
    if text:
        days = int(text) if text.isdigit() else -1  # -1: out of range, so worded as such
    return days, token_problems(form["name"], days)


def _worded(errors: list[FieldError]) -> dict[str, str]:
    return {e.field: t(f"tokens.error.{e.code}", max=MAX_NAME if e.field == "name" else MAX_DAYS) for e in errors}


@bp.get("/")
def index():
    """My API tokens and a form to make one."""
    return _page()


@bp.post("/")
def create():
    """Make a token; its secret is on this response only (and kept out of every cache)."""
    form = {"name": request.form.get("name", ""), "expires_days": request.form.get("expires_days", "").strip()}
    days, problems = _read(form)
    if problems:
        return _page(form, _worded(problems)), 422
    view, secret = engine().create_token(g.user.username, form["name"], days, actor=g.user.username)
    response = make_response(_page(created=view, secret=secret))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<token_id>/revoke")
def confirm_revoke(token_id: str):
    """Ask before revoking one of my tokens."""
    token = next((k for k in engine().tokens(g.user.username, actor=g.user.username) if k.id == token_id), None)
    if token is None:
        raise NotFound(f"no API token {token_id!r} of {g.user.username}")
    return render_template("tokens/revoke.html", token=token)


@bp.post("/<token_id>/revoke")
def revoke(token_id: str):
    """Revoke a token: programs using it are refused from now on."""
    token = engine().revoke_token(token_id, g.user.username)
    flash(t("tokens.revoked", name=token.name), "success")
    return redirect(url_for("tokens.index"))
