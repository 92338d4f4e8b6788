"""The API's routes on tasks: the caller's inbox, one task with its form and the actions they
may take, and claim, release and complete — each a thin call on the engine facade as the
token's user. Writes accept `If-Match` with the revision of the task's instance.
"""

from __future__ import annotations

from flask import request

from webui.api import bp
from webui.api.auth import json_body
from webui.api.inputs import actor, instance_response, page_args, page_document, query_choice, require_revision
from webui.current import engine


def _instance_revision(task_id: str):
    def current() -> int | None:
        task = engine().task(task_id, actor())
        return engine().show(task.instance_id, actor()).revision
    return current


@bp.get("/tasks")
def tasks():
    """Tasks claimed by the caller and unclaimed tasks offered to them (forms are left out here).
    ---
    get:
      summary: The caller's inbox
      tags: [tasks]
      parameters:
        - {name: process_key, in: query, schema: {type: string}}
        - {name: sort, in: query, schema: {type: string, enum: [due, created], default: due}}
        - Page
        - PageSize
      responses:
        200: {description: one page, content: {application/json: {schema: TaskPage}}}
    """
    page, size = page_args()
    found = engine().inbox_page(actor(), request.args.get("process_key") or None,
                                query_choice("sort", ("due", "created"), "due"), page, size)
    if page > found.pages:  # the inbox shows its last page instead; a client asked past the end
        return page_document([], page, size, found.total)
    return page_document([t.to_dict() for t in found.tasks], found.page, size, found.total)


@bp.get("/tasks/<task_id>")
def task(task_id: str):
    """The task with its form's JSON Schema and the `actions` the caller may take on it now.
    ---
    get:
      summary: One task
      tags: [tasks]
      parameters: [TaskId]
      responses:
        200: {description: the task, content: {application/json: {schema: Task}}}
    """
    return engine().task(task_id, actor()).to_dict()


@bp.post("/tasks/<task_id>/claim")
def claim(task_id: str):
    """Claim an open task offered to the caller.
    ---
    post:
      summary: Claim a task
      tags: [tasks]
      parameters: [TaskId, IfMatch]
      responses:
        200: {description: the task (now the caller's), content: {application/json: {schema: Task}}}
    """
    require_revision(_instance_revision(task_id))
    engine().claim(task_id, actor())
    return engine().task(task_id, actor()).to_dict()


@bp.post("/tasks/<task_id>/release")
def release(task_id: str):
    """Give a claimed task back to its candidates.
    ---
    post:
      summary: Release a task
      tags: [tasks]
      parameters: [TaskId, IfMatch]
      responses:
        200: {description: the task (offered again), content: {application/json: {schema: Task}}}
    """
    require_revision(_instance_revision(task_id))
    engine().release(task_id, actor())
    return engine().task(task_id, actor()).to_dict()


@bp.post("/tasks/<task_id>/complete")
def complete(task_id: str):
    """Complete the task with the body as its form's data (an unclaimed task offered to the
    caller is claimed on the way); a 422 problem names each invalid field.
    ---
    post:
      summary: Complete a task
      tags: [tasks]
      parameters: [TaskId, IfMatch]
      requestBody: {required: true, content: {application/json: {schema: TaskData}}}
      responses:
        200: {description: the instance after, headers: {ETag: ETag}, content: {application/json: {schema: Instance}}}
    """
    data = json_body()
    require_revision(_instance_revision(task_id))
    return instance_response(engine().complete_task(task_id, actor(), data))
