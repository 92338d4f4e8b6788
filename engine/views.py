"""Frozen views the facade returns to the web UI and the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


@dataclass(frozen=True)
class FormView:
    key: str
    schema: dict[str, Any]
    title: dict[str, str] = field(default_factory=dict)
    ui: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "schema": self.schema}


@dataclass(frozen=True)
class TaskView:
    id: str
    instance_id: str
    process_key: str
    name: str
    title: str
    candidates: tuple[str, ...]
    claimed_by: str | None
    due_at: datetime | None
    created_at: datetime
    status: str
    form: FormView | None
    lane: str | None = None
    completed_by: str | None = None
    completed_at: datetime | None = None
    subject: dict[str, str] | None = None  # what the task is about, {zh, en}
    # What the person who asked may do with it now ("claim", "release", "complete", "reassign");
    # filled by `Engine.task`, empty in lists.
    actions: frozenset[str] = frozenset()
    excluded: tuple[str, ...] = ()  # who may not do it (separation of duties): never offered it

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "instance_id": self.instance_id, "process_key": self.process_key,
            "name": self.name, "title": self.title, "candidates": list(self.candidates),
            "claimed_by": self.claimed_by, "due_at": _iso(self.due_at), "created_at": _iso(self.created_at),
            "status": self.status, "lane": self.lane, "subject": self.subject,
            "form": self.form.to_dict() if self.form else None, "actions": sorted(self.actions),
            "excluded": list(self.excluded),
        }


@dataclass(frozen=True)
class InstanceView:
    id: str
    process_key: str
    version: int
    version_hash: str
    status: str
    started_by: str | None
    started_at: datetime
    updated_at: datetime
    data: dict[str, Any]
    active_tasks: tuple[TaskView, ...] = ()
    current_step: str | None = None
    incident: dict[str, Any] | None = None
    overdue: bool = False
    revision: int | None = None  # the row's revision: the API's ETag (If-Match guards writes on it)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "process_key": self.process_key, "version": self.version, "overdue": self.overdue,
            "revision": self.revision,
            "version_hash": self.version_hash, "status": self.status, "started_by": self.started_by,
            "started_at": _iso(self.started_at), "updated_at": _iso(self.updated_at),
            "current_step": self.current_step, "incident": self.incident,
            "active_tasks": [t.to_dict() for t in self.active_tasks], "data": self.data,
        }


@dataclass(frozen=True)
class ProcessView:
    key: str
    version: int
    content_hash: str
    name: dict[str, str]
    starters: tuple[str, ...]
    owner_role: str
    clauses: tuple[str, ...]
    start_form: FormView | None
    deployed_at: datetime
    deployed_by: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key, "version": self.version, "hash": self.content_hash, "name": self.name,
            "starters": list(self.starters), "owner_role": self.owner_role, "clauses": list(self.clauses),
            "start_form": self.start_form.to_dict() if self.start_form else None,
            "deployed_at": _iso(self.deployed_at), "deployed_by": self.deployed_by,
        }


@dataclass(frozen=True)
class DeployResult:
    key: str
    version: int
    content_hash: str
    created: bool

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "version": self.version, "hash": self.content_hash, "created": self.created}


@dataclass(frozen=True)
class UserView:
    username: str
    name: str
    department: str | None
    roles: tuple[str, ...]
    active: bool

    def to_dict(self) -> dict[str, Any]:
        return {"username": self.username, "name": self.name, "department": self.department,
                "roles": list(self.roles), "active": self.active}


@dataclass(frozen=True)
class Abilities:
    """What one person may do at all (engine/permissions.py): which parts of the interface are theirs."""

    start: bool  # may start some procedure
    manage: bool  # manages a department: the team page
    own: bool  # edits and deploys procedures
    audit: bool  # reads, searches and verifies every instance
    administer: bool  # manages accounts

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "manage": self.manage, "own": self.own, "audit": self.audit,
                "administer": self.administer}


@dataclass(frozen=True)
class Navigation:
    """What every page's navigation shows for one person, read together: their abilities and
    how many tasks wait in their inbox."""

    abilities: Abilities
    inbox: int
    unread: int = 0  # notifications not yet read (the bell)

    def to_dict(self) -> dict[str, Any]:
        return {"abilities": self.abilities.to_dict(), "inbox": self.inbox, "unread": self.unread}
