"""Hostile scripts and expressions: each is refused at deploy or fails as an incident that
names the element (and the line), quickly, without hanging or crashing the process.

Every case runs in a script task, a gateway condition and a timer expression — the three
places a process owner's code runs (tests/fixtures/security/, CODE replaced per case).
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from engine.definitions.bundles import load_catalog
from engine.runtime import Engine
from engine.errors import DefinitionInvalid
from engine.sandbox.limits import Limits
from engine.spiff.script_environment import SandboxEnvironment, check_source
from tests.conftest import organisation
from tests.engine.fakes import FakeStore, FakeUnitOfWork

HERE = Path(__file__).resolve().parents[1] / "fixtures" / "security"
STAFF = "cs_staff1"
ELEMENT = {"sec_script": "Calculate", "sec_gateway": "Decide", "sec_timer": "WaitFor"}


@pytest.fixture
def fake_engine(clock) -> Engine:
    """An engine over in-memory fakes with the demo users and nothing deployed yet."""
    engine = Engine(lambda store=FakeStore(): FakeUnitOfWork(store), clock)
    engine.load_organisation(organisation())
    return engine


def bundle(key: str, code: str):
    [found] = load_catalog(HERE, HERE / "forms", only={key})
    text = found.files[found.entry.bpmn].replace("CODE", escape(code))
    return replace(found, files={**found.files, found.entry.bpmn: text})


def expression(body: str) -> str:
    """An expression that also works as a timer duration: it runs `body` then yields one."""
    return f"({body}) and 'PT1H'"


# Refused when the model is deployed: visible in the text.
REFUSED_AT_DEPLOY = {
    "import": ("import os", "__import__('os')"),
    "open": ("x = open('/etc/passwd')", "open('/etc/passwd')"),
    "mro walk": ("x = ().__class__.__mro__[1].__subclasses__()", "().__class__.__mro__"),
    "globals": ("x = globals()", "globals()"),
    "getattr escape": ("x = getattr(now, '__globals__')", "getattr(now, '__globals__')"),
    "huge f-string width": ("x = f'{1:>999999999}'", "f'{1:>999999999}'"),
    "bare except": ("try:\n    x = 1\nexcept:\n    x = 2", None),
    "finally outliving a stop": ("try:\n    x = 1\nfinally:\n    x = 2", None),
    "catching BaseException": ("try:\n    x = 1\nexcept BaseException:\n    x = 2", None),
}

# Deployed (nothing static gives them away) and stopped at run time.
STOPPED_AT_RUN = {
    "string allocation": ("x = 1\ny = 'x' * 10**9", "'x' * 10**9", "repeated value"),
    "list allocation": ("x = 1\ny = [0] * 10**9", "[0] * 10**9", "repeated value"),
    "huge power": ("x = 1\ny = 10 ** 10 ** 10", "10 ** 10 ** 10", "bits"),
    "huge shift": ("x = 1\ny = 1 << 10 ** 10", "1 << 10 ** 10", "bits"),
    "huge range": ("x = 1\ny = sum(range(10 ** 12))", "sum(range(10 ** 12))", "range"),
    "doubling": ("s = 'x'\nfor i in range(64):\n    s = s + s", "[s + s for s in ['x' * 999999]]", "more than"),
    "padding": ("x = 1\ny = 'a'.ljust(10 ** 9)", "'a'.ljust(10 ** 9)", "characters"),
    "percent width": ("x = 1\ny = '%999999999d' % 1", "'%999999999d' % 1", "width"),
    "factorial": ("x = 1\ny = math.factorial(10 ** 7)", "math.factorial(10 ** 7)", "20,000"),
    "infinite loop": ("x = 1\nwhile True:\n    x = x + 1", "[i for i in range(10**6) for j in range(10**6)]", "longer than"),
    "swallowed stop": ("x = 1\ntry:\n    while True:\n        pass\nexcept Exception:\n    x = 2",
                       "[i for i in range(10**6) for j in range(10**6)]", "longer than"),
    "recursive def": ("x = 1\ndef f(n):\n    return f(n + 1)\ny = f(0)", "(lambda f: f(f))(lambda f: f(f))", "deeper"),
    "recursive lambda": ("x = 1\nf = lambda n: f(n + 1)\ny = f(0)", "(lambda f: f(f))(lambda f: f(f))", "deeper"),
    "memory growth": ("x = []\nwhile True:\n    x.append('y' * 999999)", "['y' * 999999 for i in range(10 ** 6)]", "MB|longer than"),
}


# Statement-only escapes (try/except/finally) have no expression form: no case for conditions or timers.
DEPLOY_CASES = [(key, name) for name in sorted(REFUSED_AT_DEPLOY) for key in sorted(ELEMENT)
                if (REFUSED_AT_DEPLOY[name][0] if key == "sec_script" else REFUSED_AT_DEPLOY[name][1]) is not None]


@pytest.mark.parametrize("key, name", DEPLOY_CASES)
def test_escapes_are_refused_at_deploy_naming_the_element(fake_engine, key, name):
    script, expr = REFUSED_AT_DEPLOY[name]
    code = script if key == "sec_script" else expr
    if key == "sec_timer":
        code = expression(code)
    with pytest.raises(DefinitionInvalid) as refused:
        fake_engine.deploy([bundle(key, code)])
    assert {p.element for p in refused.value.problems} >= {"F2" if key == "sec_gateway" else ELEMENT[key]}


@pytest.mark.parametrize("name", sorted(STOPPED_AT_RUN))
@pytest.mark.parametrize("key", sorted(ELEMENT))
def test_unbounded_code_fails_as_an_incident_quickly(fake_engine, key, name):
    script, expr, reason = STOPPED_AT_RUN[name]
    code = script if key == "sec_script" else expr if key == "sec_gateway" else expression(expr)
    fake_engine.deploy([bundle(key, code)])
    began = time.monotonic()
    instance = fake_engine.start(key, STAFF)
    assert time.monotonic() - began < 10
    assert instance.status == "failed"
    assert instance.incident["element"] == ELEMENT[key]
    assert "limit exceeded" in instance.incident["message"]
    assert any(r in instance.incident["message"] for r in reason.split("|"))
    if key == "sec_script":
        assert instance.incident["line"] and instance.incident["line"] >= 2
    assert instance.active_tasks == ()


def test_a_sound_script_still_runs_and_the_instance_goes_on(fake_engine):
    fake_engine.deploy([bundle("sec_script", "total = sum([1, 2, 3]) * 2\nlabel = f'{total:>5}'")])
    instance = fake_engine.start("sec_script", STAFF)
    assert instance.status == "running" and instance.data["total"] == 12 and instance.data["label"] == "   12"


def test_scripts_may_ask_who_holds_a_role(fake_engine):
    fake_engine.deploy([bundle("sec_script", "staff = users_with_role('customer-service-staff')")])
    instance = fake_engine.start("sec_script", STAFF)
    assert instance.data["staff"] == ["cs_staff1", "cs_staff2"]


def test_data_too_large_to_store_is_refused():
    env = SandboxEnvironment(limits=Limits(data_bytes=1000))
    with pytest.raises(Exception, match="limit exceeded: the script set"):
        env.execute("x = 'y' * 5000", {})


def test_a_limit_stops_only_the_thread_that_ran_over_and_the_tracer_is_restored():
    import sys

    env = SandboxEnvironment(limits=Limits(seconds=0.3))
    outcome = {}

    def loop():
        try:
            env.execute("while True:\n    pass", {})
        except Exception as err:  # the error a SpiffWorkflow task would see
            outcome["loop"] = str(err)

    thread = threading.Thread(target=loop)
    thread.start()
    data = {"a": 2}
    env.execute("b = a * 21", data)
    thread.join(5)
    assert not thread.is_alive() and "longer than" in outcome["loop"]
    assert data["b"] == 42
    previous = sys.gettrace()
    env.execute("c = 1", {})
    assert sys.gettrace() is previous


@pytest.mark.parametrize("source", ["x.format(1)", "'{}'.format(x)", "'{:{}}'.format(1, 10**9)"])
def test_str_format_is_not_available(source):
    with pytest.raises(Exception):
        SandboxEnvironment().evaluate(source, {"x": "{}"})


def test_check_source_refuses_what_the_runtime_would_refuse():
    assert check_source("try:\n    pass\nexcept:\n    pass", "script")
    assert check_source("f'{x:{w}}'", "expression")
    assert check_source("a * 2", "expression") is None


@pytest.mark.parametrize("script", [
    "a = []\nb = []\nfor i in range(40):\n    a = [a, a]\n    b = [b, b]\nz = a == b",
    "a = ()\nfor i in range(40):\n    a = (a, a)\nz = {a}",
    "a = []\nb = []\nfor i in range(40):\n    c = []\n    c.append(a)\n    c.append(a)\n    a = c\n"
    "    d = []\n    d.append(b)\n    d.append(b)\n    b = d\nz = a == b",
])
def test_shared_structures_cannot_blow_up_inside_one_c_call(script):
    # Built from shared parts, these stay small in memory but comparing or hashing them is one
    # exponential C call that no tracer can interrupt: sizes are checked before that happens.
    from engine.sandbox.limits import ScriptLimitExceeded
    from engine.spiff.script_environment import SandboxEnvironment

    with pytest.raises(ScriptLimitExceeded):
        SandboxEnvironment().execute(script, {})
