"""The REST API under /api/v1: JSON in, JSON out, for other systems (issue 14).

A caller authenticates with `Authorization: Bearer <token>` (a personal API token, acting with
its user's roles); session cookies do not authenticate here, and no CSRF token is asked, as no
browser credentials are accepted. Every route module registers its routes on `bp`; errors
become `application/problem+json` (RFC 9457) in one place, `problems.py`.
"""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def register(app: Flask) -> None:
    """Install the API on `app`: its routes, its authentication and its error documents."""
    from webui.api import auth, external_tasks, openapi, problems, routes, task_routes  # noqa: F401  (each adds to bp)

    if problems.ApiProblem not in bp.error_handler_spec[None][None]:  # once, as its routes: a blueprint
        problems.install(bp)                                          # takes no setup after it is registered
    app.register_blueprint(bp)
