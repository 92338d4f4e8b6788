"""Fixtures for the REST API: an app over its own SQLite database (fixed clock, demo
organisation, the procedures and the timer fixtures, one of which waits for a message), and
`api(username)`: a client acting with that user's token whose every response is checked
against the OpenAPI document."""

from __future__ import annotations

import pytest

from engine.definitions.bundles import load_catalog
from tests.api.support import ApiClient, Documented
from tests.conftest import FORMS, PROCESSES, make_zhidu
from tests.fixtures.timers.bundles import all_bundles
from webui.app import create_app


@pytest.fixture
def engine(sqlite_url, clock):
    return make_zhidu(sqlite_url, clock, bundles=[*load_catalog(PROCESSES, FORMS), *all_bundles()])


@pytest.fixture
def app(engine):
    return create_app({"TESTING": True, "SECRET_KEY": "test", "ENGINE": engine})


@pytest.fixture
def document(app) -> dict:
    response = app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


@pytest.fixture
def token(engine):
    """`token(username)`: a fresh API token of that user's (engine.create_token, issue 14.3)."""
    return lambda username: engine.create_token(username, "tests")[1]


@pytest.fixture
def api(app, document, token):
    """`api(username)`: a checked client with a token of `username`'s; `api(None)`: no token."""
    documented = Documented(document)
    return lambda username=None: ApiClient(app.test_client(), documented,
                                           token(username) if username else None)
