"""The API's OpenAPI 3.1 document, produced from the code, and its reference page.

apispec builds it. Each operation is written in its own view's docstring (YAML after `---`,
read by apispec-webframeworks' Flask plugin), so a route and its description sit side by side
and change in the same commit; the paths come from Flask's URL map, so none can be missing or
misspelt; the components are the JSON Schemas in schemas.py. Chosen over flask-smorest and
spectree, which want marshmallow or pydantic models for every body: zhidu's bodies are already
described by data (the forms' JSON Schemas, the views' `to_dict`), and a second model layer
would only restate them. apispec is small, maintained by the marshmallow-code team, writes
OpenAPI 3.1 as plain dicts, and takes a plugin for what every operation shares (below).
"""

from __future__ import annotations

from typing import Any

from apispec import APISpec, BasePlugin
from apispec_webframeworks.flask import FlaskPlugin
from flask import Flask, current_app, render_template

from webui.api import bp
from webui.api.auth import PUBLIC
from webui.api.schemas import HEADERS, PARAMETERS, PROBLEM, SCHEMAS

DESCRIPTION = """zhidu's procedures, instances and tasks for other systems, with the same
permission answers as the web pages. Authenticate with a personal API token
(`Authorization: Bearer <token>`; `zhidu token-create --as USER --name NAME`). Every error is
an `application/problem+json` document; writes on an instance accept `If-Match` with the
revision its `ETag` gave."""


class SharedResponses(BasePlugin):
    """What every operation has without saying so: a problem document for any error, and the
    bearer token (the public description of the API itself excepted)."""

    def operation_helper(self, path: str | None = None, operations: dict | None = None, **kwargs: Any) -> None:
        public = kwargs.get("endpoint") in PUBLIC
        for operation in (operations or {}).values():
            operation.setdefault("responses", {}).setdefault("default", "Problem")
            if public:
                operation["security"] = []


def build(app: Flask) -> dict[str, Any]:
    """The document for `app`'s API routes: every `api.` endpoint whose view documents itself."""
    spec = APISpec(title="zhidu API", version="1", openapi_version="3.1.0",
                   plugins=[FlaskPlugin(), SharedResponses()],
                   info={"description": DESCRIPTION}, security=[{"bearer": []}])
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    for name, schema in SCHEMAS.items():
        spec.components.schema(name, schema)
    for name, parameter in PARAMETERS.items():
        spec.components.parameter(name, parameter["in"], {k: v for k, v in parameter.items() if k != "in"})
    for name, header in HEADERS.items():
        spec.components.header(name, header)
    spec.components.response("Problem", PROBLEM)
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        view = app.view_functions.get(rule.endpoint)
        if rule.endpoint.startswith(bp.name + ".") and view is not None and "---" in (view.__doc__ or ""):
            spec.path(view=view, app=app, endpoint=rule.endpoint)
    return spec.to_dict()


@bp.get("/openapi.json")
def openapi():
    """This document (public: no token needed).
    ---
    get:
      summary: The OpenAPI document
      tags: [meta]
      responses:
        200: {description: OpenAPI 3.1, content: {application/json: {schema: {type: object}}}}
    """
    cached = current_app.extensions.get("zhidu_openapi")
    if cached is None:  # built once: the routes do not change while the app runs
        cached = current_app.extensions["zhidu_openapi"] = build(current_app)
    return cached


@bp.get("/reference")
def reference():
    """The API reference page: Swagger UI (served from the app's own vendored files) over the document.
    ---
    get:
      summary: The API reference page
      tags: [meta]
      responses:
        200: {description: an HTML page, content: {text/html: {schema: {type: string}}}}
    """
    return render_template("api/reference.html")
