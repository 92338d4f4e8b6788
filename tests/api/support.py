"""An API client for tests that holds every response to the OpenAPI document: the path and
method must be documented, the status documented (or covered by `default`), and the body valid
against the schema of that status and media type."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, urlsplit

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

DOCUMENT_URI = "urn:zhidu:openapi"


class Documented:
    """The API's OpenAPI document, and the check of one response against it."""

    def __init__(self, document: dict[str, Any]):
        self.document = document
        self.registry = Registry().with_resource(DOCUMENT_URI,
                                                 Resource.from_contents(document, default_specification=DRAFT202012))
        self.templates = [(path, re.compile("^" + re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(path)) + "$"))
                          for path in document["paths"]]

    def path_of(self, url: str) -> str | None:
        """The document's path template that `url` matches (a fixed path wins over a template)."""
        path = urlsplit(url).path
        matches = [template for template, pattern in self.templates if pattern.match(path)]
        return min(matches, key=lambda t: t.count("{")) if matches else None

    def check(self, method: str, url: str, response) -> None:
        """Fail unless `response` is what the document says `method url` answers."""
        template = self.path_of(url)
        operation = self.document["paths"].get(template, {}).get(method.lower()) if template else None
        if operation is None:  # only "no such route" may answer where the document says nothing
            assert response.status_code in (404, 405), f"{method} {url} is not documented"
            operation = {"responses": {"default": {"$ref": "#/components/responses/Problem"}}}
            template = None
        responses = operation["responses"]
        key = str(response.status_code) if str(response.status_code) in responses else "default"
        assert key in responses, f"{method} {template} does not document {response.status_code}"
        documented = self._resolve(responses[key])
        content = documented.get("content") or {}
        assert response.mimetype in content, \
            f"{method} {template} {response.status_code}: {response.mimetype} is not documented ({list(content)})"
        pointer = _pointer("paths", template or "", method.lower(), "responses", key)
        if "$ref" in responses[key]:
            pointer = responses[key]["$ref"][1:]
        pointer += _pointer("content", response.mimetype, "schema")
        body = response.get_json() if "json" in response.mimetype else response.get_data(as_text=True)
        validator = Draft202012Validator({"$ref": DOCUMENT_URI + "#" + quote(pointer)}, registry=self.registry,
                                         format_checker=Draft202012Validator.FORMAT_CHECKER)
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(body)]
        assert not errors, f"{method} {template} {response.status_code} does not match its schema: {errors}"

    def _resolve(self, value: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in value:
            node: Any = self.document
            for part in value["$ref"][2:].split("/"):
                node = node[part.replace("~1", "/").replace("~0", "~")]
            value = node
        return value


def _pointer(*parts: str) -> str:
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


class ApiClient:
    """A Flask test client that sends a bearer token and checks each response against the document."""

    def __init__(self, client, documented: Documented, token: str | None = None):
        self.client, self.documented, self.token = client, documented, token

    def as_token(self, token: str | None) -> "ApiClient":
        return ApiClient(self.client, self.documented, token)

    def request(self, method: str, url: str, headers: dict[str, str] | None = None, **kwargs):
        headers = dict(headers or {})
        if self.token is not None:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        response = self.client.open(url, method=method, headers=headers, **kwargs)
        self.documented.check(method, url, response)
        return response

    def get(self, url: str, **kwargs):
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs):
        return self.request("POST", url, **kwargs)
