"""`zhidu token-create / token-list / token-revoke`: the secret printed once, refusals in one line."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bootstrap.wiring import build
from engine.errors import TokenInvalid
from tests.cli.test_cli import cli  # noqa: F401  (the fixture)


def test_token_create_prints_the_token_once_as_json_and_it_authenticates(cli):
    code, made = cli("token-create", "--as", "cs_staff1", "--name", "CRM", "--expires", "30")
    assert code == 0 and set(made) == {"token", "id", "name", "expires_at"}
    assert made["token"].startswith("zhidu_") and made["name"] == "CRM"
    assert build().engine.authenticate_token(made["token"]).username == "cs_staff1"
    code, listed = cli("token-list", "--as", "cs_staff1")
    assert code == 0 and [t["id"] for t in listed] == [made["id"]]
    assert made["token"] not in repr(listed)
    created, expires = (datetime.fromisoformat(listed[0][k]) for k in ("created_at", "expires_at"))
    assert expires - created == timedelta(days=30) and expires == datetime.fromisoformat(made["expires_at"])


def test_without_json_the_token_alone_is_on_standard_output(cli):
    code, out, err = cli("token-create", "--as", "cs_staff1", "--name", "script", as_json=False)
    assert code == 0 and out.strip().startswith("zhidu_") and len(out.strip().splitlines()) == 1
    assert "only this once" in err and "does not expire" in err
    code, out, _ = cli("token-list", "--as", "cs_staff1", as_json=False)
    assert code == 0 and "script" in out and "active" in out and "zhidu_" not in out


def test_token_revoke_stops_the_token(cli):
    _, made = cli("token-create", "--as", "cs_staff1", "--name", "laptop")
    code, revoked = cli("token-revoke", made["id"], "--as", "cs_staff1")
    assert code == 0 and revoked["status"] == "revoked" and revoked["revoked_at"]
    with pytest.raises(TokenInvalid):
        build().engine.authenticate_token(made["token"])
    code, out, _ = cli("token-list", "--as", "cs_staff1", as_json=False)
    assert "revoked" in out


def test_an_administrator_may_revoke_anyones_token(cli):
    _, made = cli("token-create", "--as", "cs_staff1", "--name", "laptop")
    assert cli("token-revoke", made["id"], "--as", "admin")[0] == 0


@pytest.mark.parametrize("args, error", [
    (("token-create", "--as", "nobody", "--name", "x"), "user_not_found"),
    (("token-create", "--as", "cs_staff1", "--name", ""), "invalid_input"),
    (("token-create", "--as", "cs_staff1", "--name", "x" * 101), "invalid_input"),
    (("token-create", "--as", "cs_staff1", "--name", "x", "--expires", "0"), "invalid_input"),
    (("token-create", "--as", "cs_staff1", "--name", "x", "--expires", "3651"), "invalid_input"),
    (("token-create", "--as", "cs_staff1", "--name", "x", "--expires", "soon"), "invalid_input"),
    (("token-list", "--as", "nobody"), "user_not_found"),
    (("token-revoke", "no-such-id", "--as", "cs_staff1"), "not_found"),
])
def test_token_commands_refuse_and_change_nothing(cli, args, error):
    code, document = cli(*args)
    assert code == 1 and document["error"] == error
    assert cli("token-list", "--as", "cs_staff1")[1] == []


def test_someone_elses_token_is_not_revoked(cli):
    _, made = cli("token-create", "--as", "cs_staff1", "--name", "laptop")
    code, out, err = cli("token-revoke", made["id"], "--as", "cs_staff2", as_json=False)
    assert code == 1 and out == "" and err.startswith("error: ") and len(err.strip().splitlines()) == 1
    assert cli("token-list", "--as", "cs_staff1")[1][0]["status"] == "active"
