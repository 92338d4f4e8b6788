"""Signing in: the throttle policy against guessing, and server-side web sessions.

Both keep their state in the database through the storage ports, so every server process
counts the same failures and honours the same sign-out.

The throttle counts failures per (username, address) and per address, never per username
alone: five wrong passwords for the director from one address lock that address out of that
account (and a storm over many usernames locks the address), but the director signing in from
elsewhere is not affected. Each lock goes into the organisation journal.

A session is a random token in the (signed) cookie and the token's SHA-256 in the database:
signing out deletes the row, so a copied cookie stops working; its age is counted from sign-in
(absolute), its idleness from the last request.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Callable

from engine.commands.people import ORGANISATION_JOURNAL
from engine.clock import Clock
from engine.errors import ConcurrentUpdate
from engine.audit.journal import GENESIS, JournalWriter
from engine.ports import UnitOfWork, WebSession
from engine.views import UserView

log = logging.getLogger("zhidu.signin")


@dataclass(frozen=True)
class SignInPolicy:
    max_failures: int = 5              # per (username, address) within `window`
    address_max_failures: int = 30     # per address, whichever usernames it tries
    window: timedelta = timedelta(minutes=5)
    lock: timedelta = timedelta(minutes=5)


@dataclass(frozen=True)
class SessionPolicy:
    lifetime: timedelta = timedelta(hours=8)     # from sign-in, however busy the session
    idle: timedelta = timedelta(minutes=30)
    touch_every: timedelta = timedelta(minutes=1)  # write `seen_at` at most this often


@dataclass(frozen=True)
class SessionCheck:
    """What a request's session token is worth: a username, or why not (`expired`)."""

    username: str | None
    language: str | None = None
    expired: bool = False
    user: UserView | None = None  # the signed-in person, read with the session


def _key(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


class SignInGuard:
    """The sign-in throttle: ask `locked_for` before checking a password, then report the outcome."""

    def __init__(self, uow_factory: Callable[[], UnitOfWork], clock: Clock, policy: SignInPolicy | None = None):
        self.uow_factory, self.clock, self.policy = uow_factory, clock, policy or SignInPolicy()

    @staticmethod
    def _keys(username: str, address: str) -> tuple[str, str]:
        return _key("user+address", username.casefold(), address), _key("address", address)

    def locked_for(self, username: str, address: str) -> float:
        """Seconds until `username` may be tried again from `address` (0: go ahead)."""
        with self.uow_factory() as uow:
            now = self.clock.now()
            until = uow.throttle.locked_until(list(self._keys(username, address)), now)
        return max(0.0, (until - now).total_seconds()) if until else 0.0

    def failed(self, username: str, address: str) -> None:
        """Count a wrong password; lock and journal a key that reached its limit."""
        for _ in range(3):  # the organisation journal's next seq may be taken by a racing command
            try:
                self._count(username, address)
                return
            except ConcurrentUpdate:
                continue
        log.warning("sign-in failure from %s not counted: the organisation journal stayed busy", address)

    def _count(self, username: str, address: str) -> None:
        policy = self.policy
        pair, whole = self._keys(username, address)
        with self.uow_factory() as uow:
            now = self.clock.now()
            uow.throttle.prune(now - policy.window, now)
            for key, limit, scope in ((pair, policy.max_failures, "username_address"),
                                      (whole, policy.address_max_failures, "address")):
                failures = uow.throttle.count_failure(key, now, now - policy.window)
                if failures >= limit and uow.throttle.lock(key, now, now + policy.lock):
                    self._journal_lock(uow, {"scope": scope, "username": username, "address": address,
                                             "failures": failures, "until": (now + policy.lock).isoformat()})
            uow.commit()

    def _journal_lock(self, uow: UnitOfWork, payload: dict) -> None:
        last = uow.journal.last(ORGANISATION_JOURNAL)
        writer = JournalWriter(ORGANISATION_JOURNAL, last.seq if last else 0, last.entry_hash if last else GENESIS,
                               self.clock.now(), None)
        writer.add("sign_in_locked", payload)
        uow.journal.append(writer.entries)
        log.warning("sign-in locked (%s) for %r from %s", payload["scope"], payload["username"], payload["address"])

    def succeeded(self, username: str, address: str) -> None:
        """Forget the failures of this username from this address (the address's own stay)."""
        with self.uow_factory() as uow:
            uow.throttle.clear(self._keys(username, address)[0])
            uow.commit()


class WebSessions:
    """Sessions kept on the server: opened at sign-in, checked on every request, ended at sign-out."""

    def __init__(self, uow_factory: Callable[[], UnitOfWork], clock: Clock, policy: SessionPolicy | None = None):
        self.uow_factory, self.clock, self.policy = uow_factory, clock, policy or SessionPolicy()

    def open(self, username: str) -> str:
        """A new session for `username`; returns the token for the cookie (stored only hashed)."""
        token = secrets.token_urlsafe(32)
        with self.uow_factory() as uow:
            now = self.clock.now()
            uow.sessions.prune(now - self.policy.lifetime, now - self.policy.idle)
            uow.sessions.add(WebSession(_key(token), username, now, now))
            uow.commit()
        return token

    def check(self, token: str) -> SessionCheck:
        """The session's user and their language, or `expired` (the session is ended then)."""
        session_id = _key(token)
        with self.uow_factory() as uow:
            now, found = self.clock.now(), uow.sessions.get(session_id)
            if found is None:
                return SessionCheck(None)
            if now - found.started_at > self.policy.lifetime or now - found.seen_at > self.policy.idle:
                uow.sessions.end(session_id)
                uow.commit()
                return SessionCheck(None, expired=True)
            if now - found.seen_at >= self.policy.touch_every:
                uow.sessions.touch(session_id, now)
                uow.commit()
            user = uow.users.get(found.username)
            if user is None or not user.active:  # deactivated meanwhile: signed out everywhere
                uow.sessions.end_for_user(found.username)
                uow.commit()
                return SessionCheck(None)
            return SessionCheck(found.username, uow.preferences.language(found.username),
                                user=UserView(user.username, user.name, user.department, user.roles, user.active))

    def end(self, token: str) -> None:
        with self.uow_factory() as uow:
            uow.sessions.end(_key(token))
            uow.commit()

    def end_for_user(self, username: str) -> int:
        """End every session of `username` (a deactivated user, say); returns how many."""
        with self.uow_factory() as uow:
            ended = uow.sessions.end_for_user(username)
            uow.commit()
        return ended

    def language(self, username: str) -> str | None:
        with self.uow_factory() as uow:
            return uow.preferences.language(username)

    def set_language(self, username: str, language: str) -> None:
        with self.uow_factory() as uow:
            uow.preferences.set_language(username, language)
            uow.commit()
