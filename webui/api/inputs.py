"""What the API's routes read from a request beyond its JSON body: the caller, query parameters,
body fields of a given type, the `If-Match` precondition, and how a page of results and an
instance with its `ETag` go back. Each bad value is a 4xx problem naming it, before anything runs.
"""

from __future__ import annotations

from typing import Any, Callable

from flask import Response, g, jsonify, request, url_for

from engine.views import InstanceView
from webui.api.problems import ApiProblem

MAX_PAGE_SIZE = 200


def actor() -> str:
    """The username the token acts for: every command and query runs as them."""
    return g.api_user.username


def _invalid(name: str, message: str, code: str) -> ApiProblem:
    return ApiProblem(400, "invalid_input", f"{name}: {message}", [{"field": name, "message": message, "code": code}])


def query_int(name: str, default: int, low: int, high: int) -> int:
    """An integer query parameter within [low, high]. Raises: ApiProblem 400 naming it."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise _invalid(name, f"must be a whole number from {low} to {high}", "range")
    return int(raw)


def query_flag(name: str) -> bool:
    """A yes/no query parameter: 1/true or 0/false (absent: no). Raises: ApiProblem 400."""
    raw = request.args.get(name, "0").lower()
    if raw not in ("0", "1", "true", "false"):
        raise _invalid(name, "must be 1, 0, true or false", "type")
    return raw in ("1", "true")


def query_choice(name: str, choices: tuple[str, ...], default: str) -> str:
    """A query parameter that must be one of `choices`. Raises: ApiProblem 400."""
    raw = request.args.get(name) or default
    if raw not in choices:
        raise _invalid(name, f"must be one of {', '.join(choices)}", "enum")
    return raw


def page_args() -> tuple[int, int]:
    """`page` (from 1) and `page_size` (1 to 200, 50 by default)."""
    return query_int("page", 1, 1, 1_000_000), query_int("page_size", 50, 1, MAX_PAGE_SIZE)


def field(body: dict[str, Any], name: str, kind: type, required: bool = False) -> Any:
    """`body[name]` if it is a `kind` (None when absent and not required). Raises: ApiProblem 400."""
    if name not in body or body[name] is None:
        if required:
            raise _invalid(name, "is required", "required")
        return None
    value = body[name]
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise _invalid(name, f"must be {'an object' if kind is dict else 'a ' + kind.__name__.replace('str', 'string')}",
                       "type")
    return value


def page_document(items: list[dict[str, Any]], page: int, page_size: int, total: int) -> dict[str, Any]:
    """A page of results with the link to the next one (None on the last page)."""
    pages = max(1, -(-total // page_size))
    following = None
    if page < pages:
        args = {**request.args.to_dict(), "page": page + 1, "page_size": page_size}
        following = url_for(request.endpoint, **(request.view_args or {}), **args)
    return {"items": items, "page": page, "page_size": page_size, "total": total, "pages": pages,
            "next": following}


def etag(revision: int | None) -> str:
    return f'"{revision}"'


def require_revision(current: Callable[[], int | None]) -> None:
    """Refuse a write whose `If-Match` does not name the instance's revision now (asked of
    `current` only when the header is sent). The command's own revision check still guards the
    moment between this read and its write: a race there is its ConcurrentUpdate, also a 412.

    Raises:
        ApiProblem: 412 precondition_failed; nothing has changed.
    """
    if "If-Match" not in request.headers:
        return
    revision = current()
    if not request.if_match.contains(str(revision)):
        raise ApiProblem(412, "precondition_failed",
                         f"the instance is at revision {revision}, not the one If-Match names; read it again",
                         headers={"ETag": etag(revision)})


def instance_response(view: InstanceView, status: int = 200, location: str | None = None) -> Response:
    """The instance as JSON, its revision as the ETag (and `Location` for one just made)."""
    response = jsonify(view.to_dict())
    response.status_code = status
    response.headers["ETag"] = etag(view.revision)
    if location:
        response.headers["Location"] = location
    return response
