"""Who is calling: `Authorization: Bearer <token>` on every API request, nothing else.

The token is checked by the engine (`Engine.authenticate_token`), which answers with the
token's user, records its last use and enforces its rate limit; `g.api_user` holds that user
for the routes. A missing, malformed, unknown, revoked or expired token is a 401 problem.
"""

from __future__ import annotations

from typing import Any

from flask import g, request

from webui.api import bp
from webui.api.problems import ApiProblem
from webui.current import engine
from webui.security import limit_request_size

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="zhidu"'}


@bp.before_request
def authenticate() -> None:
    """Set `g.api_user` from the bearer token, or refuse the request."""
    g.api_user = None
    limit_request_size()
    if request.endpoint in PUBLIC:
        return
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise ApiProblem(401, "unauthorized", "send an API token: Authorization: Bearer <token>", headers=CHALLENGE)
    g.api_user = engine().authenticate_token(secret.strip())


def json_body() -> dict[str, Any]:
    """The request's JSON object (an empty body is an empty object).

    Raises:
        ApiProblem: 415 when it is not JSON, 400 when it does not parse or is not an object.
    """
    if not request.get_data():
        return {}
    if not request.is_json:
        raise ApiProblem(415, "unsupported_media_type", "send the body as application/json")
    value = request.get_json(silent=True)
    if value is None:
        raise ApiProblem(400, "malformed_json", "the body is not valid JSON")
    if not isinstance(value, dict):
        raise ApiProblem(400, "malformed_json", "the body must be a JSON object")
    return value


# Endpoints anyone may read without a token (the API's description of itself).
PUBLIC = {"api.openapi", "api.reference"}
