"""One clock, one zone: the organisation's zone turns the engine clock's UTC instants into days.

Every case runs under fixed clocks on both sides of midnight, Shanghai's (16:00 UTC) and UTC's,
so the suite means the same at any hour it runs; no test here reads the wall clock."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from engine.clock import UTC, FixedClock, day_end, day_start, local_day, organisation_zone, zone_named
from engine.definitions.bundles import load_catalog
from engine.runtime import Engine
from engine.spiff.script_environment import SandboxEnvironment
from tests.conftest import FORMS, PROCESSES, organisation
from tests.engine.fakes import FakeStore, FakeUnitOfWork
from tests.fixtures.timers.bundles import fixture_text, timer_bundle

SHANGHAI = ZoneInfo("Asia/Shanghai")
STAFF = "cs_staff1"


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=timezone.utc)


# (UTC instant, the Shanghai day it falls on): either side of 16:00 UTC and of 00:00 UTC.
AROUND_MIDNIGHT = [(utc(27, 15, 59), date(2026, 11, 27)), (utc(27, 16), date(2026, 11, 28)),
                   (utc(27, 23, 59), date(2026, 11, 28)), (utc(28, 0), date(2026, 11, 28))]


def engine_in(zone, at: datetime, bundles) -> tuple[Engine, FixedClock]:
    clock = FixedClock(at, zone)
    engine = Engine(lambda store=FakeStore(): FakeUnitOfWork(store), clock)
    engine.deploy(bundles, actor="tests")
    engine.load_organisation(organisation())
    return engine, clock


def due_bundle(due_in: str, wait: str | None = None):
    """timer_date with its task due by `due_in` (and its wait replaced by `wait`, if given)."""
    text = fixture_text("timer_date").replace(
        '<spiffworkflow:property name="formKey" value="timer_step" />',
        f'<spiffworkflow:property name="formKey" value="timer_step" /><spiffworkflow:property name="dueIn" value="{due_in}" />')
    if wait is None:
        text = text.replace('<bpmn:sequenceFlow id="F1" sourceRef="Begin" targetRef="WaitUntil" />',
                            '<bpmn:sequenceFlow id="F1" sourceRef="Begin" targetRef="Work" />')
        text = text.replace("<bpmn:incoming>F2</bpmn:incoming><bpmn:outgoing>F3</bpmn:outgoing>",
                            "<bpmn:incoming>F1</bpmn:incoming><bpmn:outgoing>F3</bpmn:outgoing>")
        text = text.replace('<bpmn:sequenceFlow id="F2" sourceRef="WaitUntil" targetRef="Work" />', "")
        text = text.split("<bpmn:intermediateCatchEvent")[0] + text.split("</bpmn:intermediateCatchEvent>")[1]
    else:
        text = text.replace("2026-11-28T09:00:00+00:00", wait)
    return timer_bundle("timer_date", text)


def only_task(engine: Engine, instance_id: str):
    [task] = engine.show(instance_id).active_tasks
    return task


@pytest.mark.parametrize("at, day", AROUND_MIDNIGHT)
def test_a_moment_falls_on_the_organisations_day(at, day):
    assert local_day(at, SHANGHAI) == day
    assert day_start(day, SHANGHAI) <= at <= day_end(day, SHANGHAI)
    assert local_day(at, UTC) == at.date()


def test_a_local_day_runs_from_local_midnight_to_its_last_instant():
    assert day_start(date(2026, 12, 31), SHANGHAI) == datetime(2026, 12, 30, 16, tzinfo=timezone.utc)
    assert day_end(date(2026, 12, 31), SHANGHAI) == datetime(2026, 12, 31, 15, 59, 59, 999999, tzinfo=timezone.utc)
    assert day_end(date(2026, 12, 31), SHANGHAI).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") == "2026-12-31 23:59"


def test_the_zone_is_configured_in_the_organisation_file():
    assert organisation_zone((PROCESSES / "organisation.yaml").read_text(encoding="utf-8")) == SHANGHAI
    assert organisation_zone("departments: []") == UTC
    with pytest.raises(ValueError, match="Mars/Olympus"):
        zone_named("Mars/Olympus")


@pytest.mark.parametrize("at, day", AROUND_MIDNIGHT)
def test_a_date_only_deadline_ends_at_the_end_of_that_local_day(at, day):
    """'resolve by 2026-12-31' is due 23:59:59.999999 that day in Shanghai, whatever the hour it is
    set; once it became 2027-01-01 07:59 local (the end of the day in UTC)."""
    engine, _ = engine_in(SHANGHAI, at, [due_bundle("'2026-12-31'")])
    instance = engine.start("timer_date", STAFF).id
    due = only_task(engine, instance).due_at
    assert due == datetime(2026, 12, 31, 15, 59, 59, 999999, tzinfo=timezone.utc)
    assert due.astimezone(SHANGHAI).date() == date(2026, 12, 31)
    assert engine.verify(instance).status == "ok"


@pytest.mark.parametrize("at, day", AROUND_MIDNIGHT)
def test_today_in_a_script_is_the_organisations_day(at, day):
    """A task due `today()` ends with the local day it is in Shanghai, not the UTC one."""
    engine, _ = engine_in(SHANGHAI, at, [due_bundle("today()")])
    instance = engine.start("timer_date", STAFF).id
    assert only_task(engine, instance).due_at == day_end(day, SHANGHAI)
    assert engine.verify(instance).status == "ok"
    assert SandboxEnvironment(FixedClock(at, SHANGHAI)).evaluate("today()", {}) == day


def test_a_time_date_without_offset_is_local_wall_clock_time():
    """09:00 on 28 November in Shanghai is 01:00 UTC; the machine's own zone plays no part."""
    engine, clock = engine_in(SHANGHAI, utc(27, 15, 59), [due_bundle("P1D", wait="2026-11-28T09:00:00")])
    instance = engine.start("timer_date", STAFF).id
    clock.set(utc(28, 0, 59))
    assert engine.fire_due_timers() == []
    clock.set(utc(28, 1))
    assert [f.instance_id for f in engine.fire_due_timers()] == [instance]
    assert only_task(engine, instance).due_at == utc(29, 1)
    assert engine.verify(instance).status == "ok"


def test_replay_uses_the_zone_the_instance_started_in():
    engine, _ = engine_in(SHANGHAI, utc(27, 16), [due_bundle("'2026-12-31'")])
    instance = engine.start("timer_date", STAFF).id
    started = engine.history(instance)[0]
    assert started.payload["time_zone"] == "Asia/Shanghai"
    assert engine.verify(instance).status == "ok"


def test_an_engine_without_a_zone_counts_days_in_utc():
    engine, _ = engine_in(None, utc(27, 16), [due_bundle("'2026-12-31'")])
    instance = engine.start("timer_date", STAFF).id
    assert only_task(engine, instance).due_at == datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=timezone.utc)
    assert engine.history(instance)[0].payload["time_zone"] == "UTC"
    assert engine.verify(instance).status == "ok"


def test_every_shipped_procedure_still_deploys_in_the_organisations_zone():
    engine, _ = engine_in(SHANGHAI, utc(27, 16), load_catalog(PROCESSES, FORMS))
    assert len(engine.processes()) == len(load_catalog(PROCESSES, FORMS))
