"""Attack: a script reads the computer's clock through the `date`/`datetime` helpers
(`datetime.now()`, `date.today()`, even `date(2026, 1, 1).today()`), so replay on another day
computes other values and a genuine journal fails verification — or a forged one is explained
away as 'time moved'. Scripts see time only through the engine clock (`now()`, `today()`)."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from engine.clock import FixedClock
from engine.spiff.script_environment import SandboxEnvironment

T = datetime(2026, 3, 4, 4, 30, tzinfo=timezone.utc)  # the same day in UTC and in Asia/Shanghai
# Engine clocks on both sides of midnight (UTC and Shanghai); the wall clock is never read.
CLOCKS = [datetime(2026, 3, 4, 20, 0, tzinfo=timezone.utc), datetime(2026, 3, 5, 3, 0, tzinfo=timezone.utc)]


@pytest.mark.parametrize("moment", CLOCKS)
@pytest.mark.parametrize("script", [
    "x = datetime.now()", "x = datetime.utcnow()", "x = date.today()", "x = datetime.today()",
    "x = date(2026, 1, 1).today()", "x = datetime(2026, 1, 1).now()", "x = datetime.fromtimestamp(0)",
    "f = datetime.now\nx = f()",
])
def test_the_computers_clock_is_out_of_reach(script, moment):
    env = SandboxEnvironment(FixedClock(moment))
    with pytest.raises(Exception) as caught:
        env.execute(script, {})
    assert "engine's clock" in str(caught.value)


@pytest.mark.parametrize("moment", [T, *CLOCKS])
def test_the_engine_clock_and_date_arithmetic_still_work(moment):
    env = SandboxEnvironment(FixedClock(moment))
    data: dict = {}
    env.execute("x = now()\nz = date(2026, 12, 31) - timedelta(days=1)\nw = datetime(2026, 1, 1).year", data)
    assert (data["x"], data["z"], data["w"]) == (moment, date(2026, 12, 30), 2026)
