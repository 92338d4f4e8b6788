"""`zhidu tasks` without the engine runtime: a person's task list read from the task rows and the
forms of compiled versions cached across processes (engine/spiff/spec_cache.py).

A command-line call starts a new interpreter, and importing the whole engine (SpiffWorkflow,
lxml's parser checks, jsonschema, the sandbox) costs more than the query. Listing tasks needs
none of it: the rows carry title, candidates and subject, and a task's form is its version's,
which the cache holds as plain JSON. Whenever that is not enough — the operator, an unknown or
deactivated user, a version not compiled yet or whose files no longer match its hash, a database
without the schema — this answers None and the caller asks the engine facade, which answers or
raises exactly as it always has (and compiles the version into the cache for the next call).
tests/cli/test_task_list.py holds the two answers equal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.permissions import OPERATOR_NAME
from engine.views import FormView, TaskView

if TYPE_CHECKING:
    from engine.ports import UnitOfWork
    from engine.spiff.spec_cache import CompiledVersions


class _NotEnough(Exception):
    """What the rows and the cache hold does not answer the question: ask the facade."""


def tasks_for(username: str) -> list[TaskView] | None:
    """What `Engine.tasks_for(username)` returns, or None when the facade must answer."""
    from sqlalchemy.exc import SQLAlchemyError

    from bootstrap.wiring import compiled_versions, database_url
    from storage.database import make_engine, uow_factory

    if username == OPERATOR_NAME:
        return None
    url = database_url()
    versions = compiled_versions(url)
    if versions is None:
        return None
    db = make_engine(url)
    try:
        with uow_factory(db)() as uow:
            return _task_views(uow, versions, username)
    except (_NotEnough, SQLAlchemyError):
        return None
    finally:
        db.dispose()


def _task_views(uow: UnitOfWork, versions: CompiledVersions, username: str) -> list[TaskView]:
    user = uow.users.get(username)
    if user is None or not user.active:
        raise _NotEnough
    forms: dict[str, dict] = {}  # content hash -> its version's forms
    views = []
    for task in uow.tasks.inbox(user.username, user.roles):
        form_view = None
        if task.form_key:
            digest = uow.instances.version_of(task.instance_id)
            if digest and digest not in forms:
                forms[digest] = _forms_of(uow, versions, digest)
            form = forms[digest].get(task.form_key) if digest else None
            if form is not None:
                form_view = FormView(form["key"], form["schema"], form["title"], form["ui"])
        views.append(TaskView(task.id, task.instance_id, task.process_key, task.spec_name, task.title,
                              task.candidates, task.claimed_by, task.due_at, task.created_at, task.status,
                              form_view, task.lane, task.completed_by, task.completed_at, task.subject,
                              excluded=tuple(e.username for e in task.excluded)))
    return views


def _forms_of(uow: UnitOfWork, versions: CompiledVersions, digest: str) -> dict[str, dict]:
    """The cached forms of the version with `digest`, once its stored files still hash to it (as
    the facade checks before it compiles)."""
    from engine.definitions.bundles import ProcessBundle

    version = uow.versions.by_hash(digest)
    if version is None or ProcessBundle(version.entry, version.files).content_hash != digest:
        raise _NotEnough
    found = versions.forms(digest)
    if found is None:
        raise _NotEnough
    return found
