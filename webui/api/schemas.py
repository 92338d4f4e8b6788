"""The OpenAPI components: JSON Schemas (2020-12, as OpenAPI 3.1 uses) of what the facade's
views write with `to_dict`, and the parameters, headers and responses the routes share.

Objects are closed (`additionalProperties: false`) and every key they write is required, so a
view that grows a key without its schema here fails the API tests, which check each response
against this document.
"""

from __future__ import annotations

from typing import Any

REF = "#/components/schemas/"


def ref(name: str) -> dict[str, str]:
    return {"$ref": REF + name}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    return {**schema, "type": [schema["type"], "null"]}


def closed(properties: dict[str, Any], description: str, optional: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"type": "object", "description": description, "properties": properties,
            "required": [k for k in properties if k not in optional], "additionalProperties": False}


TEXT, INT, BOOL = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
INSTANT = {"type": "string", "format": "date-time"}
TEXTS = {"type": "array", "items": TEXT}
NAMES = {"type": "object", "description": "by language: zh, en", "additionalProperties": TEXT}
OBJECT = {"type": "object"}


def _page(item: str) -> dict[str, Any]:
    return closed({"items": {"type": "array", "items": ref(item)}, "page": INT, "page_size": INT, "total": INT,
                   "pages": INT, "next": nullable({"type": "string", "format": "uri-reference"})},
                  f"One page of {item}s; `next` is the link to the following page (null on the last).")


SCHEMAS: dict[str, dict[str, Any]] = {
    "Form": closed({"key": TEXT, "schema": {"type": "object", "description": "the form's JSON Schema"}},
                   "A form: the JSON Schema its data must satisfy."),
    "Task": closed({
        "id": TEXT, "instance_id": TEXT, "process_key": TEXT, "name": {**TEXT, "description": "the BPMN element"},
        "title": TEXT, "candidates": {**TEXTS, "description": "role:<key> or user:<name>"},
        "claimed_by": nullable(TEXT), "due_at": nullable(INSTANT), "created_at": INSTANT,
        "status": {"type": "string", "enum": ["open", "completed", "cancelled"]}, "lane": nullable(TEXT),
        "subject": nullable(NAMES), "form": nullable(ref("Form")),
        "actions": {"type": "array", "description": "what the caller may do with it now (only in GET /tasks/{id})",
                    "items": {"type": "string", "enum": ["claim", "release", "complete", "reassign"]}},
        "excluded": {**TEXTS, "description": "usernames separation of duties keeps from this task (notBy, notSameAs)"},
    }, "A human task."),
    "Instance": closed({
        "id": TEXT, "process_key": TEXT, "version": INT, "version_hash": TEXT, "overdue": BOOL,
        "revision": {**nullable(INT), "description": "changes with every write: the ETag, for If-Match"},
        "status": {"type": "string", "enum": ["running", "completed", "failed", "cancelled", "withdrawn"]},
        "started_by": nullable(TEXT), "started_at": INSTANT, "updated_at": INSTANT,
        "current_step": nullable(TEXT), "incident": nullable(OBJECT),
        "active_tasks": {"type": "array", "items": ref("Task")},
        "data": {"type": "object", "description": "confidential values the caller may not read are markers"},
    }, "A running or finished instance of a procedure."),
    "Process": closed({
        "key": TEXT, "version": INT, "hash": TEXT, "name": NAMES, "starters": TEXTS, "owner_role": TEXT,
        "clauses": TEXTS, "start_form": nullable(ref("Form")), "deployed_at": INSTANT, "deployed_by": nullable(TEXT),
    }, "The latest version of a procedure, with its start form."),
    "ProcessList": closed({"items": {"type": "array", "items": ref("Process")}}, "Procedures."),
    "HistoryEntry": closed({
        "instance_id": TEXT, "seq": INT, "kind": TEXT, "actor": nullable(TEXT), "at": INSTANT, "payload": OBJECT,
        "prev_hash": TEXT, "hash": TEXT,
    }, "One journal entry, hash-chained to the one before."),
    "History": closed({"items": {"type": "array", "items": ref("HistoryEntry")}}, "An instance's journal."),
    "Verdict": closed({
        "instance_id": TEXT, "verdict": {"type": "string", "enum": ["ok", "tampered", "diverged", "redacted",
                                                                    "unreplayable"]},
        "entry": nullable(INT), "element": nullable(TEXT), "field": nullable(TEXT), "recorded": {}, "replayed": {},
        "reason": TEXT, "redacted_values": INT,
    }, "Whether the journal's chain holds and replays to the stored state."),
    "User": closed({"username": TEXT, "name": TEXT, "department": nullable(TEXT), "roles": TEXTS, "active": BOOL},
                   "A person."),
    "InstancePage": _page("Instance"),
    "TaskPage": _page("Task"),
    "Problem": closed({
        "type": {"type": "string", "format": "uri"}, "title": TEXT, "status": INT, "detail": TEXT,
        "errors": {"type": "array", "items": closed({"field": TEXT, "message": TEXT, "code": TEXT},
                                                   "One invalid field or parameter.")},
    }, "An error (RFC 9457); `errors` names each invalid field.", optional=("errors",)),
    "StartData": {"type": "object", "description": "the data of the procedure's start form (see start_form)"},
    "TaskData": {"type": "object", "description": "the data of the task's form (see form)"},
    "MessagePayload": {"type": "object", "description": "what the message carries into the instance"},
    "CancelRequest": closed({"reason": TEXT}, "Why the instance is cancelled.", optional=("reason",)),
    "BusinessKeyMessage": closed({
        "business_key": {**TEXT, "description": "the value of the key field in the instance's data"},
        "key_field": {**TEXT, "default": "business_key", "description": "which data field holds the key"},
        "process_key": {**TEXT, "description": "only instances of this procedure"},
        "payload": OBJECT,
    }, "A message for the one running instance with a business key.",
        optional=("key_field", "process_key", "payload")),
}


def _path(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": TEXT, "description": description}


PARAMETERS: dict[str, dict[str, Any]] = {
    "InstanceId": _path("instance_id", "an instance's id"),
    "TaskId": _path("task_id", "a task's id"),
    "ProcessKey": _path("key", "a procedure's key, e.g. complaint_handling"),
    "MessageName": _path("name", "the BPMN message's name"),
    "Page": {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 1}},
    "PageSize": {"name": "page_size", "in": "query",
                 "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}},
    "IfMatch": {"name": "If-Match", "in": "header", "schema": TEXT,
                "description": 'the instance\'s revision as its ETag ("3"): the write happens only if it is '
                               "still at that revision, else 412"},
}

HEADERS: dict[str, dict[str, Any]] = {
    "ETag": {"description": 'the instance\'s revision, quoted ("3"); send it back in If-Match', "schema": TEXT},
    "Location": {"description": "where the new instance is", "schema": TEXT},
}

PROBLEM = {"description": "a problem document (RFC 9457): 400 bad input, 401 no valid token, 403 not allowed, "
                          "404 unknown, 409 conflicting state, 412 revision changed, 422 invalid form data",
           "content": {"application/problem+json": {"schema": ref("Problem")}}}
