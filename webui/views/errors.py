"""Engine errors and HTTP errors mapped to responses — the one place that does it."""

from __future__ import annotations

import logging

from flask import Flask, flash, g, redirect, render_template, request, url_for
from markupsafe import escape
from werkzeug.exceptions import HTTPException

from engine.errors import (
    ConcurrentUpdate, DutiesSeparated, FormInvalid, InvalidInput, NotFound, PermissionDenied, TaskAlreadyClaimed,
    TaskNotClaimed, TaskNotReady, ZhiduError,
)
from webui.api import problems as api_problems
from webui.auth import safe_next
from webui.current import language, t

log = logging.getLogger("zhidu.webui")

# A task that moved on while the user looked at it: say so and go back to the inbox.
_STALE = {TaskNotReady: "error.task_done", TaskAlreadyClaimed: "error.task_taken",
          TaskNotClaimed: "error.task_not_claimed", ConcurrentUpdate: "error.concurrent"}


def register(app: Flask) -> None:
    """Install the handlers on `app`."""
    app.register_error_handler(FormInvalid, _form_invalid)
    app.register_error_handler(ZhiduError, _domain_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)


def error_page(status: int):
    """The app-styled page for `status` (400, 403, 404 or 500); a bare one if even that fails."""
    key = f"error.{status}" if status in (400, 403, 404) else "error.500"
    try:
        return render_template("errors/error.html", status=status, message=t(key)), status
    except Exception:  # the page itself needs what just broke (the database, say)
        log.exception("error page failed")
        return f"<!doctype html><title>{status}</title><p>{escape(t(key))}</p>", status


def _form_invalid(err: FormInvalid):
    """Re-render the form the view registered in `g.form_invalid`, errors beside fields."""
    rerender = g.get("form_invalid")
    if rerender is None:
        return error_page(400)
    return rerender(err.field_errors), 422


def _domain_error(err: ZhiduError):
    if isinstance(err, DutiesSeparated):  # a rule of the model, in the reader's words: back where they were
        flash(err.text(language()), "danger")
        default = url_for("employee.team") if request.endpoint == "employee.reassign" else url_for("employee.inbox")
        return redirect(safe_next(request.form.get("next"), default))
    rerender = g.get("form_invalid")
    if isinstance(err, ConcurrentUpdate) and rerender is not None:
        # A form lost a race with another command on the same request (a timer, a parallel
        # step): nothing was saved, and what the person typed comes back to submit again. When
        # its task moved on in that race (a colleague finished it), rendering it raises: stale.
        g.notice = ("warning", t("error.concurrent_kept"))  # shown where flashes are (base.html)
        try:
            return rerender([]), 409
        except ZhiduError:
            g.notice = None
    for kind, key in _STALE.items():
        if isinstance(err, kind):
            flash(t(key), "warning")
            return redirect(url_for("employee.inbox"))
    if isinstance(err, PermissionDenied):
        return error_page(403)
    if isinstance(err, NotFound):
        return error_page(404)
    if isinstance(err, InvalidInput):
        return error_page(400)
    log.error("unexpected domain error: %s", err.to_dict())
    return error_page(500)


def _http_error(err: HTTPException):
    if request.path.startswith("/api/"):  # no route matched, so the API's own handlers never ran
        return api_problems.from_http(err)
    if err.code in (400, 403, 404):
        return error_page(err.code)
    if err.code == 405:
        return error_page(404)[0], 405
    return err


def _unexpected(err: Exception):
    log.exception("unhandled error", exc_info=err)
    g.failed = True  # the page must not ask the engine for the navigation's count again
    return error_page(500)
