"""Every shipped procedure survives the editor: opened in the bpmn-js modeler, validated
unchanged with no errors, and saved (deployed from the browser) as a version that the engine's
comparison finds identical to the shipped one — no element, form, decision table or catalog
difference, and the same BPMN outside the diagram layout.

The editor once dropped `loopDataInputRef`/`loopDataOutputRef` on save (bpmn-js reads them as
references to elements and forgets names it cannot resolve), which broke five procedures."""

from __future__ import annotations

import pytest
from lxml import etree

from engine.definitions.bundles import load_catalog
from tests.conftest import FORMS, PROCESSES
from tests.e2e.conftest import serving, sign_in
from tests.webui.support import build_services

pytestmark = pytest.mark.browser
DI = "http://www.omg.org/spec/BPMN/20100524/DI"
SHIPPED = [b.key for b in load_catalog(PROCESSES, FORMS)]


def semantic(xml: str):
    """The BPMN without its diagram, as nested tuples: tag, sorted attributes, text, children
    (indentation, attribute order and the diagram's layout do not count)."""
    def walk(node):
        children = tuple(walk(c) for c in node if isinstance(c.tag, str) and c.tag != f"{{{DI}}}BPMNDiagram")
        return node.tag, tuple(sorted(node.attrib.items())), (node.text or "").strip(), children
    return walk(etree.fromstring(xml.encode("utf-8")))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    services = build_services(f"sqlite:///{tmp_path_factory.mktemp('roundtrip') / 'zhidu.db'}")
    with serving(services.engine) as url:
        yield url, services.engine
    services.db.dispose()


@pytest.fixture(scope="module")
def owner_page(browser, site):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(20000)
    sign_in(page, site[0], "owner")
    yield page
    context.close()


@pytest.mark.parametrize("key", SHIPPED)
def test_a_shipped_procedure_survives_the_editor_unchanged(owner_page, site, key):
    base, engine = site
    page = owner_page
    deployed = engine.version_bundle(key, "owner")
    page.goto(f"{base}/owner/{key}/edit")
    page.wait_for_selector("#editor[data-ready=true]")
    page.click("#validate")
    page.wait_for_selector("#editor[data-validated]")
    errors = [li.inner_text() for li in page.locator("#problems li[data-severity=error]").all()]
    assert errors == [], f"{key}: the unchanged procedure does not validate in the editor: {errors}"
    assert page.get_attribute("#editor", "data-validated") == "ok"

    saved = page.evaluate("() => window.zhiduEditor.saveXML({format: true}).then(r => r.xml)")
    assert semantic(saved) == semantic(deployed.files[deployed.entry.bpmn]), f"{key}: the editor changed the BPMN"

    page.fill("#deploy-comment", "round trip")
    page.click("#deploy")
    page.wait_for_selector("#editor[data-deployed]")
    assert page.get_attribute("#editor", "data-deployed") == "2", page.inner_text("#editor-status")
    diff = engine.compare(key, "owner", 1, 2)
    assert diff.empty, f"{key}: the saved version differs from the shipped one: {diff.to_dict()}"
