"""Personal API tokens against the in-memory fakes, under a fixed clock: who may make, list and
revoke them, what authenticates, and the per-token rate limit."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.commands.tokens import PREFIX, TokenPolicy, secret_hash
from engine.errors import InvalidInput, NotFound, PermissionDenied, RateLimited, TokenInvalid, UserNotFound
from engine.runtime import Engine
from tests.conftest import T0, organisation
from tests.engine.fakes import FakeStore, FakeUnitOfWork


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture
def zhidu(store, clock) -> Engine:
    engine = Engine(lambda: FakeUnitOfWork(store), clock)
    engine.load_organisation(organisation())
    engine.api_tokens.policy = TokenPolicy(rate_limit=3)
    return engine


def test_a_new_token_authenticates_as_its_user_and_storage_keeps_only_its_hash(zhidu, store):
    view, secret = zhidu.create_token("cs_staff1", "  CRM import ", expires_days=30)
    assert secret.startswith(PREFIX) and len(secret) >= len(PREFIX) + 43
    assert (view.username, view.name, view.status) == ("cs_staff1", "CRM import", "active")
    assert view.created_at == T0 and view.expires_at == T0 + timedelta(days=30) and view.last_used_at is None
    stored = store.api_tokens[view.id]
    assert stored.secret_hash == secret_hash(secret) and secret not in repr(stored)
    assert secret not in repr(view.to_dict())
    user = zhidu.authenticate_token(secret)
    assert (user.username, user.roles) == ("cs_staff1", ("customer-service-staff",))


def test_each_token_gets_its_own_secret(zhidu):
    secrets = {zhidu.create_token("cs_staff1", f"token {n}")[1] for n in range(5)}
    assert len(secrets) == 5


@pytest.mark.parametrize("secret", ["", "zhidu_", "zhidu_nothing-like-this", "Bearer x", "zhidu_" + "a" * 500])
def test_a_secret_zhidu_did_not_issue_is_refused(zhidu, secret):
    zhidu.create_token("cs_staff1", "real")
    with pytest.raises(TokenInvalid):
        zhidu.authenticate_token(secret)


def test_a_revoked_token_stops_working_and_revoking_again_changes_nothing(zhidu, clock):
    view, secret = zhidu.create_token("cs_staff1", "laptop")
    clock.advance(timedelta(hours=1))
    revoked = zhidu.revoke_token(view.id, "cs_staff1")
    assert (revoked.status, revoked.revoked_at) == ("revoked", T0 + timedelta(hours=1))
    with pytest.raises(TokenInvalid, match="revoked"):
        zhidu.authenticate_token(secret)
    clock.advance(timedelta(hours=1))
    assert zhidu.revoke_token(view.id, "admin").revoked_at == T0 + timedelta(hours=1)


def test_a_token_works_until_its_expiry_and_not_from_then_on(zhidu, clock):
    view, secret = zhidu.create_token("cs_staff1", "one day", expires_days=1)
    clock.set(T0 + timedelta(days=1) - timedelta(seconds=1))
    assert zhidu.authenticate_token(secret).username == "cs_staff1"
    clock.set(T0 + timedelta(days=1))
    with pytest.raises(TokenInvalid, match="expired"):
        zhidu.authenticate_token(secret)
    assert zhidu.tokens("cs_staff1")[0].status == "expired"


def test_a_token_without_expiry_still_works_years_later(zhidu, clock):
    _, secret = zhidu.create_token("cs_staff1", "forever")
    clock.advance(timedelta(days=3650 * 3))
    assert zhidu.authenticate_token(secret).username == "cs_staff1"


def test_a_deactivated_users_tokens_stop_working_and_work_again_on_reactivation(zhidu):
    _, secret = zhidu.create_token("cs_staff1", "laptop")
    zhidu.deactivate_user("cs_staff1", actor="admin")
    with pytest.raises(TokenInvalid, match="deactivated"):
        zhidu.authenticate_token(secret)
    zhidu.reactivate_user("cs_staff1", actor="admin")
    assert zhidu.authenticate_token(secret).username == "cs_staff1"


def test_a_token_acts_with_the_roles_its_user_has_now(zhidu):
    _, secret = zhidu.create_token("mk_staff1", "laptop")
    zhidu.set_roles("mk_staff1", ["customer-service-staff"], actor="admin", department="customer-service")
    assert zhidu.authenticate_token(secret).roles == ("customer-service-staff",)


def test_people_make_list_and_revoke_their_own_tokens_and_administrators_anyones(zhidu):
    own, _ = zhidu.create_token("cs_staff1", "mine", actor="cs_staff1")
    by_admin, _ = zhidu.create_token("cs_staff1", "made by admin", actor="admin")
    by_operator, _ = zhidu.create_token("cs_staff1", "made on the server")
    assert {t.id for t in zhidu.tokens("cs_staff1", actor="cs_staff1")} == {own.id, by_admin.id, by_operator.id}
    assert [t.id for t in zhidu.tokens("cs_staff1", actor="admin")] == [t.id for t in zhidu.tokens("cs_staff1")]
    assert zhidu.revoke_token(own.id, "admin").status == "revoked"


@pytest.mark.parametrize("call", [
    lambda z, token: z.create_token("cs_staff1", "theirs", actor="cs_staff2"),
    lambda z, token: z.tokens("cs_staff1", actor="cs_manager"),
    lambda z, token: z.revoke_token(token, "cs_staff2"),
    lambda z, token: z.revoke_token(token, "director"),
])
def test_nobody_else_touches_a_persons_tokens(zhidu, store, call):
    view, secret = zhidu.create_token("cs_staff1", "mine")
    before = dict(store.api_tokens)
    with pytest.raises(PermissionDenied):
        call(zhidu, view.id)
    assert store.api_tokens == before
    assert zhidu.authenticate_token(secret).username == "cs_staff1"


@pytest.mark.parametrize("name, days", [("", None), ("   ", 30), ("x" * 101, None), ("ok", 0), ("ok", 3651),
                                        ("ok", -1), ("ok", True), ("ok", "30")])
def test_a_token_needs_a_name_and_a_lifetime_of_1_to_3650_days(zhidu, store, name, days):
    with pytest.raises(InvalidInput):
        zhidu.create_token("cs_staff1", name, expires_days=days)
    assert not store.__dict__.get("api_tokens")


def test_limits_of_name_and_lifetime_are_accepted(zhidu, clock):
    view, _ = zhidu.create_token("cs_staff1", "x" * 100, expires_days=3650)
    assert view.expires_at == T0 + timedelta(days=3650)


def test_tokens_are_for_existing_active_people(zhidu):
    with pytest.raises(UserNotFound):
        zhidu.create_token("nobody", "x")
    with pytest.raises(UserNotFound):
        zhidu.tokens("nobody")
    with pytest.raises(InvalidInput):
        zhidu.create_token("@operator", "x")
    zhidu.deactivate_user("cs_staff2", actor="admin")
    with pytest.raises(PermissionDenied):
        zhidu.create_token("cs_staff2", "x", actor="admin")
    with pytest.raises(NotFound):
        zhidu.revoke_token("no-such-token", "admin")


def test_the_listing_shows_no_secret_and_newest_first(zhidu, clock):
    first, s1 = zhidu.create_token("cs_staff1", "first")
    clock.advance(timedelta(minutes=5))
    second, s2 = zhidu.create_token("cs_staff1", "second")
    listed = zhidu.tokens("cs_staff1")
    assert [t.id for t in listed] == [second.id, first.id]
    text = repr([t.to_dict() for t in listed])
    assert s1 not in text and s2 not in text and secret_hash(s1) not in text
    assert set(listed[0].to_dict()) == {"id", "username", "name", "created_at", "expires_at", "last_used_at",
                                        "revoked_at", "status"}


def test_last_use_is_recorded_at_most_once_a_minute(zhidu, clock):
    zhidu.api_tokens.policy = TokenPolicy(rate_limit=1000)
    secret = zhidu.create_token("cs_staff1", "busy")[1]
    seen = []
    for seconds in (0, 20, 40, 60, 90, 125):
        clock.set(T0 + timedelta(seconds=seconds))
        zhidu.authenticate_token(secret)
        seen.append(int((zhidu.tokens("cs_staff1")[0].last_used_at - T0).total_seconds()))
    assert seen == [0, 0, 0, 60, 60, 125]


def test_the_rate_limit_refuses_the_request_past_it_until_the_next_minute(zhidu, clock):
    clock.set(T0 + timedelta(seconds=45))
    _, secret = zhidu.create_token("cs_staff1", "script")
    for _ in range(3):
        zhidu.authenticate_token(secret)
    with pytest.raises(RateLimited) as refused:
        zhidu.authenticate_token(secret)
    assert refused.value.retry_after == 15 and refused.value.to_dict()["retry_after"] == 15
    clock.set(T0 + timedelta(minutes=1))
    assert zhidu.authenticate_token(secret).username == "cs_staff1"


def test_each_token_has_its_own_limit(zhidu):
    _, busy = zhidu.create_token("cs_staff1", "busy")
    _, quiet = zhidu.create_token("cs_staff1", "quiet")
    for _ in range(3):
        zhidu.authenticate_token(busy)
    with pytest.raises(RateLimited):
        zhidu.authenticate_token(busy)
    assert zhidu.authenticate_token(quiet).username == "cs_staff1"


@pytest.mark.parametrize("value, limit", [(None, 600), ("", 600), ("25", 25), (" 1000 ", 1000)])
def test_the_rate_limit_comes_from_the_environment(value, limit):
    environ = {} if value is None else {"ZHIDU_API_RATE_LIMIT": value}
    assert TokenPolicy.from_environment(environ).rate_limit == limit


@pytest.mark.parametrize("value", ["0", "-5", "many", "1.5"])
def test_a_bad_rate_limit_in_the_environment_is_named(value):
    with pytest.raises(InvalidInput, match="ZHIDU_API_RATE_LIMIT"):
        TokenPolicy.from_environment({"ZHIDU_API_RATE_LIMIT": value})
