"""Plain records the engine exchanges with storage (no ORM types cross this line)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine.definitions.bundles import CatalogEntry


@dataclass(frozen=True)
class StoredVersion:
    """One deployed, immutable version of a procedure."""

    key: str
    number: int
    content_hash: str
    entry: CatalogEntry
    files: dict[str, str]
    deployed_by: str | None
    deployed_at: datetime
    comment: str = ""


@dataclass
class InstanceRecord:
    """An instance's row: live state plus what lists and searches need."""

    id: str
    process_key: str
    version_hash: str
    version_number: int
    status: str
    state: dict[str, Any]
    data: dict[str, Any]
    started_by: str | None
    started_at: datetime
    updated_at: datetime
    revision: int = 0
    next_wake_at: datetime | None = None
    current_step: str | None = None
    incident: dict[str, Any] | None = None
    journal_seq: int = 0
    journal_hash: str = "0" * 64


@dataclass(frozen=True)
class Exclusion:
    """Someone a task may not be done by, and the rule of the model that says so (separation of
    duties, engine/spiff/duties.py): `notBy` — the task concerns them — or `notSameAs` — they
    did, or hold now, this case's step `step`, which must be done by someone else."""

    username: str
    rule: str
    step: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"user": self.username, "rule": self.rule, **({"step": self.step} if self.step else {})}

    @classmethod
    def from_dict(cls, value: dict[str, Any]) -> "Exclusion":
        return cls(str(value["user"]), str(value["rule"]), value.get("step"))


@dataclass
class TaskRecord:
    """A human task offered to candidates (``role:<key>`` or ``user:<name>``)."""

    id: str
    instance_id: str
    process_key: str
    spec_name: str
    title: str
    lane: str | None
    form_key: str | None
    candidates: tuple[str, ...]
    created_at: datetime
    status: str = "open"
    claimed_by: str | None = None
    due_at: datetime | None = None
    completed_at: datetime | None = None
    completed_by: str | None = None
    department: str | None = None
    submitted: dict[str, Any] | None = None
    context: dict[str, Any] | None = None
    subject: dict[str, str] | None = None  # what the task is about, {zh, en} (engine/definitions/subjects.py)
    excluded: tuple[Exclusion, ...] = ()  # who may not do it, and why (separation of duties)

    def exclusion_of(self, username: str | None) -> Exclusion | None:
        """The rule that keeps `username` from this task; None when none does."""
        return next((e for e in self.excluded if e.username == username), None) if username else None


@dataclass(frozen=True)
class TextMatch:
    """An inbox search: text in a task's title or subject, or one of the procedures whose name
    matched it (`process_keys`)."""

    text: str
    process_keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class UserRecord:
    username: str
    name: str
    department: str | None
    roles: tuple[str, ...]
    active: bool = True
    password_hash: str | None = None
    email: str | None = None  # where notifications are mailed (engine/notify.py)


@dataclass(frozen=True)
class Department:
    key: str
    name: dict[str, str]


@dataclass(frozen=True)
class Role:
    """A role; `department` is the department whose staff or manager it is, and `manager` says it
    manages that department. A manager role without a department manages every department (the
    director)."""

    key: str
    name: dict[str, str]
    department: str | None = None
    manager: bool = False


@dataclass(frozen=True)
class Organisation:
    departments: tuple[Department, ...]
    roles: tuple[Role, ...]
    users: tuple[UserRecord, ...] = field(default_factory=tuple)


@dataclass
class Schedule:
    """When a procedure with a timer start event is next started, and how often after that."""

    process_key: str
    version_hash: str
    element: str
    next_due_at: datetime
    period: str | None = None
    remaining: int = 1
