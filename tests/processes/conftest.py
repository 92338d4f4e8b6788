"""Every instance a procedure test leaves behind must verify: journal intact, replay equal."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def every_instance_replays(request):
    engine = request.getfixturevalue("zhidu") if "zhidu" in request.fixturenames else None
    yield
    if engine is None:
        return
    verdicts = list(engine.verify_all())
    failed = [v.to_dict() for v in verdicts if v.status != "ok"]
    assert failed == [], f"{len(failed)} of {len(verdicts)} instance(s) do not verify: {failed[:2]}"
