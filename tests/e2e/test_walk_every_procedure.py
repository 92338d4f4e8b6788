"""Every procedure in processes/ walked from its start page to its end in Chromium, as the
people each task is offered to, with data generated from the published form schemas.

`make test` walks each procedure once (one seed, optional fields left empty about half the
time). More random paths: ZHIDU_WALK_SEEDS=20 make test (or pytest -m browser -k walk).
"""

from __future__ import annotations

import os

import pytest

from engine.definitions.bundles import load_catalog
from tests.e2e.conftest import serving
from tests.e2e.walker import Walk
from tests.webui.support import FORMS, PROCESSES, build_services

pytestmark = pytest.mark.browser

KEYS = [entry.key for entry in load_catalog(PROCESSES, FORMS)]
SEEDS = range(1, int(os.environ.get("ZHIDU_WALK_SEEDS", "1")) + 1)


@pytest.fixture(scope="module")
def zhidu(tmp_path_factory):
    """One zhidu for every walk: each walk acts only on its own instance's tasks."""
    services = build_services(f"sqlite:///{tmp_path_factory.mktemp('walk') / 'zhidu.db'}")
    with serving(services.engine) as url:
        yield services.engine, url
    services.db.dispose()


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("key", KEYS)
def test_walk_procedure_to_its_end_in_the_browser(zhidu, browser, key, seed):
    engine, url = zhidu
    walk = Walk(engine, browser, url, key, seed)
    instance_id = walk.run()
    assert engine.show(instance_id).status == "completed", walk.steps
    assert engine.verify(instance_id).status == "ok", walk.steps
