"""In-memory API tokens (the port of engine/commands/tokens.py), with the writes counted so a
test can tell a touch of `last_used_at` from a count alone."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from engine.ports import ApiToken


class FakeApiTokens:
    def __init__(self, work):
        # FakeStore has no field of its own for tokens: keep them (and the window counts) on it.
        self.rows: dict[str, ApiToken] = work.__dict__.setdefault("api_tokens", {})
        self.windows: dict[str, tuple[datetime, int]] = work.__dict__.setdefault("api_token_windows", {})

    def add(self, token: ApiToken) -> None:
        self.rows[token.id] = token

    def get(self, token_id: str) -> ApiToken | None:
        return self.rows.get(token_id)

    def by_hash(self, secret_hash: str) -> ApiToken | None:
        return next((t for t in self.rows.values() if t.secret_hash == secret_hash), None)

    def for_user(self, username: str) -> list[ApiToken]:
        return sorted((t for t in self.rows.values() if t.username == username),
                      key=lambda t: (t.created_at, t.id), reverse=True)

    def revoke(self, token_id: str, at: datetime) -> None:
        self.rows[token_id] = dataclasses.replace(self.rows[token_id], revoked_at=at)

    def count_use(self, token_id: str, now: datetime, window_start: datetime, touch_before: datetime) -> int:
        started, count = self.windows.get(token_id, (None, 0))
        self.windows[token_id] = (started, count + 1) if started and started >= window_start else (window_start, 1)
        token = self.rows[token_id]
        if token.last_used_at is None or token.last_used_at <= touch_before:
            self.rows[token_id] = dataclasses.replace(token, last_used_at=now)
        return self.windows[token_id][1]
