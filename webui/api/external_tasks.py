"""The API's routes for external workers (issue 14.4): fetch and lock service tasks of their
topics, then complete them, report a failure or hold them longer — each a thin call on the
engine facade as the token's user, who must hold the worker role (`may_work_external`).

Bodies follow Camunda's external-task API (`workerId`, `topics`, `lockDuration`, `maxTasks`,
`variables`, `errorMessage`, `retries`, `retryTimeout`, `newDuration`); durations are in
milliseconds, as there. Answers are written like the rest of zhidu's API (snake_case).
"""

from __future__ import annotations

from typing import Any

from flask import jsonify

from webui.api import bp
from webui.api.auth import json_body
from webui.api.inputs import actor, field
from webui.api.problems import ApiProblem
from webui.api.schemas import INSTANT, INT, OBJECT, SCHEMAS, TEXT, closed, nullable
from webui.current import engine

# The components these routes answer with, joined to the document's table when this module is
# imported by register() (before the document is built).
SCHEMAS["ExternalTask"] = closed({
    "id": TEXT, "topic": TEXT, "instance_id": TEXT, "process_key": TEXT,
    "element": {**TEXT, "description": "the BPMN service task"},
    "worker_id": {**nullable(TEXT), "description": "who holds the lock (none after a failure)"},
    "locked_until": nullable(INSTANT), "retries": {**INT, "description": "attempts left"},
    "error_message": nullable(TEXT),
    "variables": {**OBJECT, "description": "the instance's data, as the worker's user may read it"},
    "result_schema": {**nullable(OBJECT), "description": "the JSON Schema `variables` must satisfy on complete "
                                                         "(none: complete takes no variables)"},
}, "A service task waiting for an external worker.")
SCHEMAS["ExternalTaskCompleted"] = closed({"id": TEXT, "instance_id": TEXT, "instance_status": TEXT},
                                          "The completed task and where its instance is now.")


def _worker(body: dict[str, Any]) -> str:
    return field(body, "workerId", str, required=True)


def _milliseconds(body: dict[str, Any], name: str, required: bool = False, default: int = 0) -> float:
    value = field(body, name, int, required=required)
    if value is not None and value < 0:
        raise ApiProblem(400, "invalid_input", f"{name}: must not be negative",
                         [{"field": name, "message": "must not be negative", "code": "range"}])
    return (default if value is None else value) / 1000


@bp.post("/external-tasks/fetch-and-lock")
def fetch_and_lock():
    """Lock up to `maxTasks` waiting tasks of `topics` for `workerId`, oldest first.
    ---
    post:
      summary: Fetch and lock external tasks
      tags: [external-tasks]
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [workerId, topics, lockDuration]
              properties:
                workerId: {type: string, maxLength: 100}
                topics: {type: array, items: {type: string}, minItems: 1}
                lockDuration: {type: integer, description: milliseconds the tasks stay locked}
                maxTasks: {type: integer, minimum: 1, maximum: 100, default: 1}
      responses:
        200:
          description: the locked tasks (none when nothing waits)
          content: {application/json: {schema: {type: array, items: {$ref: '#/components/schemas/ExternalTask'}}}}
    """
    body = json_body()
    worker, topics = _worker(body), field(body, "topics", list, required=True)
    locked = engine().fetch_and_lock(worker, topics, _milliseconds(body, "lockDuration", required=True),
                                     field(body, "maxTasks", int) or 1, actor=actor())
    return jsonify([task.to_dict() for task in locked])


@bp.post("/external-tasks/<task_id>/complete")
def complete_external(task_id: str):
    """Complete a task the worker holds with `variables` its result form validates.
    ---
    post:
      summary: Complete an external task
      tags: [external-tasks]
      parameters: [{name: task_id, in: path, required: true, schema: {type: string}}]
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [workerId]
              properties: {workerId: {type: string}, variables: {type: object}}
      responses:
        200:
          description: completed
          content: {application/json: {schema: {$ref: '#/components/schemas/ExternalTaskCompleted'}}}
    """
    body = json_body()
    view = engine().complete_external(task_id, _worker(body), field(body, "variables", dict) or {}, actor=actor())
    return {"id": task_id, "instance_id": view.id, "instance_status": view.status}


@bp.post("/external-tasks/<task_id>/failure")
def fail_external(task_id: str):
    """Report that the worker could not do a task it holds: it waits again after `retryTimeout`
    with `retries` attempts left (one fewer when not given); at none the instance gets an incident.
    ---
    post:
      summary: Report an external task's failure
      tags: [external-tasks]
      parameters: [{name: task_id, in: path, required: true, schema: {type: string}}]
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [workerId, errorMessage]
              properties:
                workerId: {type: string}
                errorMessage: {type: string, maxLength: 2000}
                retries: {type: integer, minimum: 0, description: attempts left}
                retryTimeout:
                  {type: integer, minimum: 0, default: 0, description: milliseconds before it is fetched again}
      responses:
        200:
          description: the task now
          content: {application/json: {schema: {$ref: '#/components/schemas/ExternalTask'}}}
    """
    body = json_body()
    view = engine().fail_external(task_id, _worker(body), field(body, "errorMessage", str, required=True),
                                  field(body, "retries", int), _milliseconds(body, "retryTimeout"), actor=actor())
    return view.to_dict()


@bp.post("/external-tasks/<task_id>/extend-lock")
def extend_lock(task_id: str):
    """Hold a task the worker holds for `newDuration` from now.
    ---
    post:
      summary: Extend an external task's lock
      tags: [external-tasks]
      parameters: [{name: task_id, in: path, required: true, schema: {type: string}}]
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [workerId, newDuration]
              properties: {workerId: {type: string}, newDuration: {type: integer, description: milliseconds}}
      responses:
        200:
          description: the task now
          content: {application/json: {schema: {$ref: '#/components/schemas/ExternalTask'}}}
    """
    body = json_body()
    view = engine().extend_lock(task_id, _worker(body), _milliseconds(body, "newDuration", required=True),
                                actor=actor())
    return view.to_dict()
