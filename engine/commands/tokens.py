"""Personal API tokens: created by a person (or for them by an administrator or the operator),
listed with their last use, revoked, and checked on every API request.

A secret is `zhidu_` and 32 random bytes, shown once when it is made; storage keeps only its
SHA-256, so a copy of the database lets nobody call the API. A token acts with its user's
roles as they stand at each request; a deactivated user's tokens stop working with them.

Each request counts against its token's fixed one-minute window in the database, so every
server process (gunicorn workers, several hosts on one PostgreSQL) sees the same count. The
count and the token's last use are written by one UPDATE; the last use moves at most once a
minute, so listing tokens shows it to the minute without a new value on every call.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Mapping

from engine.commands.runner import Runner, found
from engine.errors import (
    FieldError, InvalidInput, NotFound, PermissionDenied, RateLimited, TokenInvalid,
    UserNotFound,
)
from engine.permissions import OPERATOR_NAME
from engine.ports import ApiToken, UnitOfWork
from engine.records import UserRecord
from engine.views import UserView

PREFIX = "zhidu_"
SECRET_BYTES = 32
MAX_SECRET = 200          # longer than any secret zhidu issues: refused before hashing
MAX_NAME = 100
MAX_DAYS = 3650
WINDOW = timedelta(minutes=1)
TOUCH_EVERY = timedelta(minutes=1)
RATE_LIMIT_ENV = "ZHIDU_API_RATE_LIMIT"


@dataclass(frozen=True)
class TokenPolicy:
    """How many API requests one token may make per minute."""

    rate_limit: int = 600

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> "TokenPolicy":
        """The policy `ZHIDU_API_RATE_LIMIT` sets (requests per token and minute; default 600).

        Raises:
            InvalidInput: the variable is not a positive whole number.
        """
        text = (os.environ if environ is None else environ).get(RATE_LIMIT_ENV, "").strip()
        if not text:
            return cls()
        if not text.isdigit() or int(text) < 1:
            raise InvalidInput(f"{RATE_LIMIT_ENV} must be a positive whole number of requests per minute, "
                               f"not {text!r}")
        return cls(int(text))


@dataclass(frozen=True)
class TokenView:
    """A token as its owner sees it in a list: never the secret, never its hash."""

    id: str
    username: str
    name: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    status: str  # active, expired or revoked (at the moment the view was made)

    def to_dict(self) -> dict[str, Any]:
        def when(moment: datetime | None) -> str | None:
            return moment.isoformat() if moment else None
        return {"id": self.id, "username": self.username, "name": self.name,
                "created_at": when(self.created_at), "expires_at": when(self.expires_at),
                "last_used_at": when(self.last_used_at), "revoked_at": when(self.revoked_at),
                "status": self.status}


def token_problems(name: str, expires_days: Any = None) -> list[FieldError]:
    """What is wrong with a new token's name and lifetime (`code`s: required, too_long, days_range)."""
    problems = []
    if not name.strip():
        problems.append(FieldError("name", "a token needs a name", "required"))
    elif len(name.strip()) > MAX_NAME:
        problems.append(FieldError("name", f"a token's name has at most {MAX_NAME} characters", "too_long",
                                   {"max": MAX_NAME}))
    if expires_days is not None and (isinstance(expires_days, bool) or not isinstance(expires_days, int)
                                     or not 1 <= expires_days <= MAX_DAYS):
        problems.append(FieldError("expires_days", f"a token expires after 1 to {MAX_DAYS} days, or never",
                                   "days_range", {"max": MAX_DAYS}))
    return problems


def secret_hash(secret: str) -> str:
    """What storage keeps of a secret."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


class TokenCommands:
    """Each method one unit of work through the runner."""

    def __init__(self, run: Runner, policy: TokenPolicy | None = None):
        self.run = run
        self.policy = policy or TokenPolicy.from_environment()

    def create_token(self, username: str, name: str, expires_days: int | None = None,
                     actor: str | None = None) -> tuple[TokenView, str]:
        """A new token for `username`, and its secret — returned this once, never again.

        Raises:
            InvalidInput (name or lifetime), UserNotFound, PermissionDenied (someone else's,
            not an administrator; a deactivated owner).
        """
        problems = token_problems(name, expires_days)
        if problems:
            raise InvalidInput("; ".join(p.message for p in problems))
        with self.run.unit() as uow:
            owner = self._owner(uow, username, actor)
            now = self.run.clock.now()
            secret = PREFIX + secrets.token_urlsafe(SECRET_BYTES)
            token = ApiToken(secrets.token_hex(8), owner.username, name.strip(), secret_hash(secret), now,
                             now + timedelta(days=expires_days) if expires_days else None)
            uow.api_tokens.add(token)
            uow.commit()
        return _view(token, now), secret

    def tokens(self, username: str, actor: str | None = None) -> list[TokenView]:
        """`username`'s tokens, newest first, with their last use.

        Raises:
            UserNotFound, PermissionDenied.
        """
        with self.run.unit() as uow:
            owner = found(uow.users.get(username), UserNotFound, f"unknown user {username!r}")
            self._require(uow, actor, owner.username)
            now = self.run.clock.now()
            return [_view(t, now) for t in uow.api_tokens.for_user(owner.username)]

    def revoke_token(self, token_id: str, actor: str | None) -> TokenView:
        """Stop a token working from now on (revoking a revoked token changes nothing).

        Raises:
            NotFound, PermissionDenied (neither its owner nor an administrator).
        """
        with self.run.unit() as uow:
            token = found(uow.api_tokens.get(token_id), NotFound, f"unknown API token {token_id!r}")
            self._require(uow, actor, token.username)
            now = self.run.clock.now()
            if token.revoked_at is None:
                uow.api_tokens.revoke(token.id, now)
                uow.commit()
                token = ApiToken(token.id, token.username, token.name, token.secret_hash, token.created_at,
                                 token.expires_at, token.last_used_at, now)
            return _view(token, now)

    def authenticate_token(self, secret: str) -> UserView:
        """The user an API request's token acts for; the request is counted against its limit.

        Raises:
            TokenInvalid: unknown, revoked or expired, or the user is deactivated.
            RateLimited: the token's requests this minute are used up.
        """
        if not secret.startswith(PREFIX) or len(secret) > MAX_SECRET:
            raise TokenInvalid("the API token is not one zhidu issued")
        digest = secret_hash(secret)
        with self.run.unit() as uow:
            now = self.run.clock.now()
            token = uow.api_tokens.by_hash(digest)
            if token is None or not hmac.compare_digest(token.secret_hash, digest):
                raise TokenInvalid("the API token is not one zhidu issued")
            user = _usable(uow, token, now)
            window = _window_start(now)
            used = uow.api_tokens.count_use(token.id, now, window, now - TOUCH_EVERY)
            uow.commit()
        if used > self.policy.rate_limit:
            retry_after = max(1, math.ceil((window + WINDOW - now).total_seconds()))
            raise RateLimited(f"this token may make {self.policy.rate_limit} requests a minute; "
                              f"try again in {retry_after} s", retry_after)
        return UserView(user.username, user.name, user.department, user.roles, user.active)

    def _owner(self, uow: UnitOfWork, username: str, actor: str | None) -> UserRecord:
        """The active person a new token is for, once `actor` may make it."""
        if not username or username == OPERATOR_NAME:
            raise InvalidInput("an API token acts for a user: name one")
        owner = self.run.actor(uow, username)
        self._require(uow, actor, owner.username)
        return owner

    def _require(self, uow: UnitOfWork, actor: str | None, owner: str) -> None:
        acting = self.run.actor(uow, actor)
        if not self.run.permissions(uow).may_manage_tokens(acting, owner):
            raise PermissionDenied(f"{acting.username} may not manage the API tokens of {owner}")


def _usable(uow: UnitOfWork, token: ApiToken, now: datetime) -> UserRecord:
    """The token's user, if the token still works at `now`. Raises: TokenInvalid."""
    if token.revoked_at is not None:
        raise TokenInvalid("the API token has been revoked")
    if token.expires_at is not None and token.expires_at <= now:
        raise TokenInvalid("the API token has expired")
    user = uow.users.get(token.username)
    if user is None or not user.active:
        raise TokenInvalid("the API token's user is deactivated")
    return user


def _window_start(now: datetime) -> datetime:
    """The start of the fixed one-minute window `now` falls in (whole minutes of UTC)."""
    return now.replace(second=0, microsecond=0)


def _status(token: ApiToken, now: datetime) -> str:
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= now:
        return "expired"
    return "active"


def _view(token: ApiToken, now: datetime) -> TokenView:
    return TokenView(token.id, token.username, token.name, token.created_at, token.expires_at,
                     token.last_used_at, token.revoked_at, _status(token, now))
