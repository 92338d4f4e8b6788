"""Attack (issue 12.6): a process owner declassifies captured data by deploying a version whose
form no longer marks a field confidential (or clears more roles for it) and migrating running
instances onto it; the pages and the CLI then show the value in clear. Held: confidentiality
never shrinks for data already captured — such a migration is refused, so an instance's current
version is always at least as strict as every version it lived on — and a migration that keeps
or tightens it is allowed, the views applying the stricter rule."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from engine.errors import MigrationRefused
from tests.webui.conftest import Auth
from tests.webui.support import INTAKE, build_services
from cli import main as cli_module
from webui.app import create_app

CLEARANCE = "confidential: {clearance: [customer-service-staff, customer-service-manager, director]}"
FORM = "forms/complaint_intake.yaml"


@pytest.fixture
def services(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'zhidu.db'}"
    monkeypatch.setenv("ZHIDU_DATABASE_URL", url)  # for the CLI
    services = build_services(url)
    yield services
    services.db.dispose()


def _deploy_with(engine, clearance_line: str, comment: str) -> None:
    bundle = engine.version_bundle("complaint_handling", "owner")
    text = bundle.files[FORM]
    assert CLEARANCE in text
    engine.deploy_edited(replace(bundle, files={**bundle.files, FORM: text.replace(CLEARANCE, clearance_line)}),
                         "owner", comment)


def _page(engine, username: str, instance_id: str) -> str:
    client = create_app({"TESTING": True, "SECRET_KEY": "test", "ENGINE": engine}).test_client()
    Auth(client).sign_in(username)
    return client.get(f"/instances/{instance_id}").get_data(as_text=True)


def _cli_contact(capsys, instance_id: str, username: str):
    assert cli_module.main(["show", instance_id, "--as", username, "--json"]) == 0
    return json.loads(capsys.readouterr().out)["data"]["contact"]


@pytest.mark.parametrize("clearance_line, reason", [
    ("# no longer confidential", "the field contact is confidential on the instance's version but not on the new one"),
    ("confidential: {clearance: [customer-service-staff, customer-service-manager, director, marketing-staff]}",
     "the field contact would be shown to marketing-staff, who may not read it on the instance's version"),
])
def test_a_migration_that_would_declassify_captured_data_is_refused(services, capsys, clearance_line, reason):
    engine = services.engine
    instance_id = engine.start("complaint_handling", "cs_staff1", INTAKE).id
    _deploy_with(engine, clearance_line, "declassify contact")
    [check] = engine.migration_plan("complaint_handling", "owner")
    assert not check.movable and any(r.startswith(reason) for r in check.reasons)
    with pytest.raises(MigrationRefused) as refused:
        engine.migrate(instance_id, "owner")
    assert any(r.startswith(reason) for r in refused.value.reasons)
    assert engine.show(instance_id).version == 1
    # the pages and the CLI still hide it from whoever the instance's version does not clear
    assert INTAKE["contact"] not in _page(engine, "admin", instance_id)
    assert _cli_contact(capsys, instance_id, "admin") == {"confidential": True}


def test_a_migration_that_keeps_or_tightens_confidentiality_moves_and_the_views_follow(services, capsys):
    engine = services.engine
    instance_id = engine.start("complaint_handling", "cs_staff1", INTAKE).id
    assert INTAKE["contact"] in _page(engine, "cs_manager", instance_id)
    _deploy_with(engine, "confidential: {clearance: [customer-service-staff, director]}", "managers no longer")
    engine.migrate(instance_id, "owner")
    assert engine.show(instance_id).version == 2
    assert INTAKE["contact"] not in _page(engine, "admin", instance_id)
    assert INTAKE["contact"] not in _page(engine, "cs_manager", instance_id)  # the stricter rule applies
    assert INTAKE["contact"] in _page(engine, "cs_staff2", instance_id)
    assert _cli_contact(capsys, instance_id, "cs_manager") == {"confidential": True}
    assert _cli_contact(capsys, instance_id, "director") == INTAKE["contact"]
    assert engine.verify(instance_id).status == "ok"
