"""The API's routes on procedures, instances and messages: each a thin call on the engine facade
as the token's user, so every answer on who may do what is the web's (engine/permissions.py).

Each view's docstring ends with its OpenAPI operation (YAML after `---`); openapi.py gathers
them, and the component names they use (Instance, Problem, InstanceId, ...) are in schemas.py.
"""

from __future__ import annotations

from flask import g, request, url_for

from webui.api import bp
from webui.api.auth import json_body
from webui.api.inputs import (
    actor, field, instance_response, page_args, page_document, query_flag, require_revision,
)
from webui.api.problems import ApiProblem
from webui.current import engine

STATUSES = ("running", "completed", "failed", "cancelled", "withdrawn")


@bp.get("/me")
def me():
    """The caller: the user the token acts for.
    ---
    get:
      summary: The caller
      tags: [people]
      responses:
        200: {description: the token's user, content: {application/json: {schema: User}}}
    """
    return g.api_user.to_dict()


@bp.get("/processes")
def processes():
    """The procedures the caller may start, each with its start form's JSON Schema.
    ---
    get:
      summary: Procedures the caller may start
      tags: [processes]
      responses:
        200: {description: the latest version of each, content: {application/json: {schema: ProcessList}}}
    """
    return {"items": [p.to_dict() for p in engine().startable(actor())]}


@bp.post("/processes/<key>/instances")
def start(key: str):
    """Start an instance of the latest version; the body is the start form's data.
    ---
    post:
      summary: Start an instance
      tags: [processes]
      parameters: [ProcessKey]
      requestBody: {content: {application/json: {schema: StartData}}}
      responses:
        201:
          description: the new instance
          headers: {Location: Location, ETag: ETag}
          content: {application/json: {schema: Instance}}
    """
    view = engine().start(key, actor(), json_body())
    return instance_response(view, 201, url_for("api.instance", instance_id=view.id))


@bp.get("/instances")
def instances():
    """The caller's own requests, newest first; with `all=1`, an auditor's search of every instance.
    ---
    get:
      summary: Requests, or (auditors) every instance
      tags: [instances]
      parameters:
        - {name: all, in: query, schema: {type: string, enum: ['0', '1', 'true', 'false']},
           description: search every instance (auditors only)}
        - {name: process_key, in: query, schema: {type: string}}
        - {name: status, in: query, schema: {type: string, enum: [running, completed, failed, cancelled, withdrawn]}}
        - {name: participant, in: query, schema: {type: string}, description: 'with all=1: who started or acted'}
        - Page
        - PageSize
      responses:
        200: {description: one page, content: {application/json: {schema: InstancePage}}}
    """
    page, size = page_args()
    wanted = {k: request.args.get(k) or None for k in ("process_key", "status")}
    if wanted["status"] and wanted["status"] not in STATUSES:
        raise ApiProblem(400, "invalid_input", f"status must be one of {', '.join(STATUSES)}",
                         [{"field": "status", "message": "unknown status", "code": "enum"}])
    if query_flag("all"):
        found = engine().search_instances(actor(), participant=request.args.get("participant") or None,
                                          page=page, page_size=size, **wanted)
        return page_document([v.to_dict() for v in found.instances], page, size, found.total)
    mine = [v for v in engine().my_requests(actor())
            if all(value is None or getattr(v, key) == value for key, value in wanted.items())]
    mine.sort(key=lambda v: (v.started_at, v.id), reverse=True)
    chosen = mine[(page - 1) * size: page * size]
    return page_document([v.to_dict() for v in chosen], page, size, len(mine))


def _instance_id_revision(instance_id: str):
    return lambda: engine().show(instance_id, actor()).revision


@bp.get("/instances/<instance_id>")
def instance(instance_id: str):
    """The instance as the caller may see it (confidential values they are not cleared for as
    markers); its revision is the ETag.
    ---
    get:
      summary: One instance
      tags: [instances]
      parameters: [InstanceId]
      responses:
        200: {description: the instance, headers: {ETag: ETag}, content: {application/json: {schema: Instance}}}
    """
    return instance_response(engine().show(instance_id, actor()))


@bp.get("/instances/<instance_id>/history")
def history(instance_id: str):
    """The instance's journal, in order, as the caller may read it.
    ---
    get:
      summary: An instance's history
      tags: [instances]
      parameters: [InstanceId]
      responses:
        200: {description: every entry, content: {application/json: {schema: History}}}
    """
    return {"items": [entry.to_dict() for entry in engine().history(instance_id, actor())]}


@bp.post("/instances/<instance_id>/cancel")
def cancel(instance_id: str):
    """Stop a running or failed instance, saying why (its starter, administrators and managers
    of its tasks' departments may).
    ---
    post:
      summary: Cancel an instance
      tags: [instances]
      parameters: [InstanceId, IfMatch]
      requestBody: {content: {application/json: {schema: CancelRequest}}}
      responses:
        200: {description: the instance, headers: {ETag: ETag}, content: {application/json: {schema: Instance}}}
    """
    reason = field(json_body(), "reason", str) or ""
    require_revision(_instance_id_revision(instance_id))
    return instance_response(engine().cancel(instance_id, actor(), reason))


@bp.post("/instances/<instance_id>/messages/<name>")
def message(instance_id: str, name: str):
    """Deliver the message `name` to an instance waiting for it; the body is its payload.
    ---
    post:
      summary: Send a message to an instance
      tags: [messages]
      parameters: [InstanceId, MessageName, IfMatch]
      requestBody: {content: {application/json: {schema: MessagePayload}}}
      responses:
        200: {description: the instance after, headers: {ETag: ETag}, content: {application/json: {schema: Instance}}}
    """
    payload = json_body()
    require_revision(_instance_id_revision(instance_id))
    return instance_response(engine().correlate_message(instance_id, name, actor(), payload))


@bp.post("/messages/<name>")
def correlate(name: str):
    """Deliver the message `name` to the one running instance with the business key: the
    instance whose data field `key_field` (by default `business_key`) reads `business_key`.
    ---
    post:
      summary: Send a message by business key
      tags: [messages]
      parameters: [MessageName, IfMatch]
      requestBody: {required: true, content: {application/json: {schema: BusinessKeyMessage}}}
      responses:
        200: {description: the instance after, headers: {ETag: ETag}, content: {application/json: {schema: Instance}}}
    """
    body = json_body()
    key = field(body, "business_key", str, required=True)
    found = engine().find_by_business_key(actor(), key, field(body, "key_field", str) or "business_key",
                                                  field(body, "process_key", str), limit=2)
    if not found:
        raise ApiProblem(404, "instance_not_found", f"no running instance you may see has business key {key!r}")
    if len(found) > 1:
        raise ApiProblem(409, "ambiguous_business_key", f"several running instances have business key {key!r}; "
                                                         "name the process_key or send to the instance")
    payload = field(body, "payload", dict) or {}
    require_revision(_instance_id_revision(found[0]))
    return instance_response(engine().correlate_message(found[0], name, actor(), payload))


@bp.post("/instances/<instance_id>/verify")
def verify(instance_id: str):
    """Replay the instance's journal and check its chain: the auditor's verdict.
    ---
    post:
      summary: Verify an instance
      tags: [instances]
      parameters: [InstanceId]
      responses:
        200: {description: the verdict, content: {application/json: {schema: Verdict}}}
    """
    return engine().verify(instance_id, actor()).to_dict()
