"""The API's routes (to be filled in by issue 14's work): each a thin call on the facade."""

from __future__ import annotations

from flask import g

from webui.api import bp


@bp.get("/me")
def me():
    """The caller: the user the token acts for."""
    return g.api_user.to_dict()
