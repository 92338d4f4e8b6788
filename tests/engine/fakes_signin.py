"""In-memory sign-in throttle, web sessions and preferences (the ports of engine/commands/signin.py)."""

from __future__ import annotations

from datetime import datetime

from engine.ports import WebSession


class FakeThrottle:
    def __init__(self, work):
        self.rows: dict[str, dict] = work.throttle

    def locked_until(self, keys: list[str], now: datetime) -> datetime | None:
        locks = [self.rows[k]["locked_until"] for k in keys if k in self.rows and (self.rows[k]["locked_until"] or now) > now]
        return max(locks) if locks else None

    def count_failure(self, key: str, now: datetime, window_began_after: datetime) -> int:
        row = self.rows.setdefault(key, {"failures": 0, "window_start": now, "locked_until": None})
        if row["window_start"] <= window_began_after:
            row.update(failures=0, window_start=now)
        row["failures"] += 1
        return row["failures"]

    def lock(self, key: str, now: datetime, until: datetime) -> bool:
        row = self.rows[key]
        if row["locked_until"] and row["locked_until"] > now:
            return False
        row.update(locked_until=until, failures=0, window_start=now)
        return True

    def clear(self, key: str) -> None:
        self.rows.pop(key, None)

    def prune(self, window_began_before: datetime, now: datetime) -> int:
        gone = [k for k, r in self.rows.items()
                if r["window_start"] < window_began_before and not (r["locked_until"] and r["locked_until"] > now)]
        for key in gone:
            del self.rows[key]
        return len(gone)


class FakeSessions:
    def __init__(self, work):
        self.rows: dict[str, WebSession] = work.web_sessions

    def add(self, session: WebSession) -> None:
        self.rows[session.id] = session

    def get(self, session_id: str) -> WebSession | None:
        return self.rows.get(session_id)

    def touch(self, session_id: str, seen_at: datetime) -> None:
        if session_id in self.rows:
            found = self.rows[session_id]
            self.rows[session_id] = WebSession(found.id, found.username, found.started_at, seen_at)

    def end(self, session_id: str) -> None:
        self.rows.pop(session_id, None)

    def end_for_user(self, username: str) -> int:
        gone = [k for k, s in self.rows.items() if s.username == username]
        for key in gone:
            del self.rows[key]
        return len(gone)

    def prune(self, started_before: datetime, seen_before: datetime) -> int:
        gone = [k for k, s in self.rows.items() if s.started_at < started_before or s.seen_at < seen_before]
        for key in gone:
            del self.rows[key]
        return len(gone)


class FakePreferences:
    def __init__(self, work):
        self.languages: dict[str, str] = work.languages

    def language(self, username: str) -> str | None:
        return self.languages.get(username)

    def set_language(self, username: str, language: str) -> None:
        self.languages[username] = language
