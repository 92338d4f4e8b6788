"""Errors as `application/problem+json` (RFC 9457): the API's one place that maps them.

Each document has `type` (a stable URI naming the kind), `title`, `status`, `detail` and, for
invalid input, `errors`: one entry per field (`field`, `message`, `code`). No traceback, no
Python repr, ever.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, json
from werkzeug.exceptions import HTTPException

from engine.errors import (
    ConcurrentUpdate, FormInvalid, InvalidInput, NotFound, PermissionDenied, RateLimited, TaskAlreadyClaimed,
    TaskNotClaimed, TaskNotReady, TokenInvalid, ZhiduError,
)

log = logging.getLogger("zhidu.api")

TYPE_BASE = "https://zhidu.example/problems/"
MEDIA_TYPE = "application/problem+json"

# domain error -> HTTP status (the first match wins: subclasses before their bases)
_STATUS: tuple[tuple[type[ZhiduError], int], ...] = (
    (FormInvalid, 422), (InvalidInput, 400), (PermissionDenied, 403), (NotFound, 404),
    (TaskAlreadyClaimed, 409), (TaskNotClaimed, 409), (TaskNotReady, 409), (ConcurrentUpdate, 412),
    (TokenInvalid, 401), (RateLimited, 429),
)


class ApiProblem(Exception):
    """A problem the API itself finds (no token, bad JSON, a precondition), raised by routes."""

    def __init__(self, status: int, kind: str, detail: str, errors: list[dict[str, Any]] | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.status, self.kind, self.detail, self.errors, self.headers = status, kind, detail, errors, headers or {}


def problem(status: int, kind: str, detail: str, errors: list[dict[str, Any]] | None = None,
            headers: dict[str, str] | None = None) -> Response:
    """The problem document response."""
    body: dict[str, Any] = {"type": TYPE_BASE + kind, "title": kind.replace("_", " "), "status": status,
                            "detail": detail}
    if errors is not None:
        body["errors"] = errors
    response = Response(json.dumps(body), status=status, mimetype=MEDIA_TYPE)
    response.headers.update(headers or {})
    return response


def install(bp: Blueprint) -> None:
    """Map every error raised inside the API's routes to a problem document."""
    bp.register_error_handler(ApiProblem, lambda err: problem(err.status, err.kind, err.detail, err.errors,
                                                              err.headers))
    bp.register_error_handler(ZhiduError, _domain)
    bp.register_error_handler(HTTPException, from_http)
    bp.register_error_handler(Exception, _unexpected)


def _domain(err: ZhiduError) -> Response:
    status = next((code for kind, code in _STATUS if isinstance(err, kind)), None)
    if status is None:
        log.error("unexpected domain error: %s", err.to_dict())
        return problem(500, "internal", "something went wrong; the problem has been logged")
    errors = None
    if isinstance(err, FormInvalid):
        errors = [{"field": f.field, "message": f.message, "code": f.code} for f in err.field_errors]
    return problem(status, err.code, err.message, errors, _headers(err))


def _headers(err: ZhiduError) -> dict[str, str]:
    """A refused token says how to authenticate (RFC 6750); a rate limit says when to come back."""
    if isinstance(err, TokenInvalid):
        return {"WWW-Authenticate": 'Bearer realm="zhidu", error="invalid_token"'}
    if isinstance(err, RateLimited):
        return {"Retry-After": str(err.retry_after)}
    return {}


def from_http(err: HTTPException) -> Response:
    """The problem document of an HTTP error (also for /api paths no route matched)."""
    status = err.code or 500
    kind = {400: "bad_request", 401: "unauthorized", 404: "not_found", 405: "method_not_allowed",
            413: "too_large", 415: "unsupported_media_type", 429: "too_many_requests"}.get(status, "http_error")
    return problem(status, kind, err.description or kind)


def _unexpected(err: Exception) -> Response:
    log.exception("unhandled API error", exc_info=err)
    return problem(500, "internal", "something went wrong; the problem has been logged")
