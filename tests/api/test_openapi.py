"""The OpenAPI document: valid OpenAPI 3.1, public, describing every API route, with the
components the issue names; the reference page renders it from vendored files only."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate

from tests.api.support import Documented


def test_the_document_is_valid_openapi_3_1_and_public(api, document):
    validate(document)
    assert document["openapi"].startswith("3.1")
    assert {"Instance", "Task", "Process", "HistoryEntry", "Problem"} <= set(document["components"]["schemas"])
    anonymous = api(None)
    assert anonymous.get("/api/v1/openapi.json").get_json() == document
    assert document["paths"]["/api/v1/openapi.json"]["get"]["security"] == []
    assert document["paths"]["/api/v1/tasks"]["get"].get("security") is None  # the document's default: bearer
    assert document["security"] == [{"bearer": []}]


def test_every_api_route_is_documented(app, document):
    documented = {(path, method.upper()) for path, item in document["paths"].items() for method in item}
    routes = {(rule.rule.replace("<", "{").replace(">", "}"), method) for rule in app.url_map.iter_rules()
              if rule.endpoint.startswith("api.") for method in rule.methods - {"HEAD", "OPTIONS"}}
    mine = {r for r in routes if not r[0].startswith(("/api/v1/external-tasks", "/api/v1/webhooks"))}
    assert mine - documented == set()


def test_the_reference_page_uses_the_apps_own_swagger_ui(api):
    page = api(None).get("/api/v1/reference")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in html and 'data-document="/api/v1/openapi.json"' in html
    assert "http://" not in html and "https://" not in html  # no CDN


def test_the_checker_refuses_a_body_the_document_does_not_describe(app, document):
    """The check every test's responses go through is not vacuous."""
    response = app.response_class('{"id": 1}', status=200, mimetype="application/json")
    with pytest.raises(AssertionError, match="does not match its schema"):
        Documented(document).check("GET", "/api/v1/tasks/abc", response)
    with pytest.raises(AssertionError, match="is not documented"):
        Documented(document).check("GET", "/api/v1/nowhere", response)
