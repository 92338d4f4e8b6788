"""Serving logs one access line per request in the Common Log Format plus the time taken, the
same under waitress (webui/access_log.py) as under gunicorn, and SpiffWorkflow's chatter is off."""

from __future__ import annotations

import io
import logging
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from gunicorn.config import Config
from gunicorn.glogging import Logger

from webui import server
from webui.access_log import ACCESS_LOG_FORMAT, AccessLog

# host ident user [day/Mon/year:time zone] "request" status bytes microseconds
LINE = re.compile(r'^(\S+) - (\S+) \[\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\] '
                  r'"([A-Z]+ \S+ HTTP/1\.[01])" (\d{3}) (\d+|-) (\d+)$')


@pytest.fixture
def lines():
    stream = io.StringIO()
    log = logging.getLogger("tests.access")
    handler = logging.StreamHandler(stream)
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    yield log, stream
    log.removeHandler(handler)


def test_each_request_writes_one_line_in_the_common_format(app, auth, lines):
    log, stream = lines
    client = app.test_client()
    app.wsgi_app = AccessLog(app.wsgi_app, log)
    # buffered: the body is sent and closed as a server does (the line is written at close)
    sign_in = client.get("/sign-in?next=/start", environ_base={"REMOTE_ADDR": "10.0.0.7"}, buffered=True)
    client.get("/nope", buffered=True)
    written = stream.getvalue().splitlines()
    assert len(written) == 2
    first, second = LINE.match(written[0]), LINE.match(written[1])
    assert first and second, written
    assert first.groups()[0] == "10.0.0.7" and first.group(3) == "GET /sign-in?next=/start HTTP/1.1"
    assert first.group(4) == "200" and int(first.group(5)) == len(sign_in.get_data())
    assert second.group(4) == "302"  # not signed in: sent to sign in first
    assert int(first.group(6)) > 0


def test_gunicorn_writes_the_same_line(lines):
    """gunicorn's %(t)s has its own brackets: the format must not add a second pair."""
    config = Config()
    config.set("access_log_format", ACCESS_LOG_FORMAT)
    logger = Logger(config)
    environ = {"REQUEST_METHOD": "POST", "RAW_URI": "/tasks/abc", "SERVER_PROTOCOL": "HTTP/1.1",
               "REMOTE_ADDR": "10.0.0.8"}
    atoms = logger.atoms_wrapper_class(logger.atoms(SimpleNamespace(status="302 FOUND", sent=189, headers=[]),
                                                    SimpleNamespace(headers=[]), environ,
                                                    timedelta(microseconds=5321)))
    found = LINE.match(ACCESS_LOG_FORMAT % atoms)
    assert found and found.groups() == ("10.0.0.8", "-", "POST /tasks/abc HTTP/1.1", "302", "189", "5321")


def test_serving_holds_spiffworkflow_to_warnings(monkeypatch):
    monkeypatch.setattr(logging, "basicConfig", lambda **kwargs: None)  # leave pytest's handlers be
    spiff = logging.getLogger("spiff")
    before = spiff.level
    try:
        server._quiet_logs()
        for name in ("spiff.task", "spiff.workflow", "spiff.data", "spiff.dmn"):
            assert not logging.getLogger(name).isEnabledFor(logging.INFO)
            assert logging.getLogger(name).isEnabledFor(logging.WARNING)
    finally:
        spiff.setLevel(before)
