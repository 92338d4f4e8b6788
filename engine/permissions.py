"""Every "may this person do this", answered in one place (decision 14).

The answers are functions of the organisation data: which department each role belongs to and
which roles manage one (`Role.department`, `Role.manager` from processes/organisation.yaml). A
manager role without a department manages every department (the director). Four roles carry
rights of their own — process owner, auditor, administrator — and are named here once. The
facade, the web pages, the CLI and the API ask these questions and never re-derive them.

Nothing here reads storage: the facade loads the chart (the roles) in the same unit of work as
the records it asks about, and passes them in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

from engine.definitions.bundles import DEFAULT_OWNER_ROLE, CatalogEntry
from engine.records import Exclusion, InstanceRecord, Role, StoredVersion, TaskRecord, UserRecord

OWNER_ROLE = DEFAULT_OWNER_ROLE
AUDIT_ROLES = frozenset({"auditor"})
ADMIN_ROLES = frozenset({"admin"})
WORKER_ROLES = frozenset({"external-worker"})  # programs that do service tasks (issue 14.4)

# Operators act through the command line on the server itself, with every right and no
# redaction. Their name is no valid username, so no account can take it; commands they run are
# journaled with no actor, as before.
OPERATOR_NAME = "@operator"
OPERATOR = UserRecord(OPERATOR_NAME, "Operator", None, ("admin", "auditor", OWNER_ROLE))

EVERY_DEPARTMENT = "*"


@dataclass(frozen=True)
class OrgChart:
    """Which department each role belongs to, and which departments each role manages."""

    departments: frozenset[str]
    role_department: dict[str, str]
    manages: dict[str, str]  # role -> department it manages, or EVERY_DEPARTMENT

    @classmethod
    def of(cls, roles: Iterable[Role]) -> "OrgChart":
        """The chart of `roles`. Its departments are those some role belongs to: a department
        no role belongs to can hold no task (a task's department is its candidate role's)."""
        roles = list(roles)
        return cls(frozenset(r.department for r in roles if r.department),
                   {r.key: r.department for r in roles if r.department},
                   {r.key: r.department or EVERY_DEPARTMENT for r in roles if r.manager})

    def department_of(self, candidates: Iterable[str]) -> str | None:
        """The department a task offered to `candidates` belongs to: its first candidate role's."""
        for candidate in candidates:
            if candidate.startswith("role:") and candidate[5:] in self.role_department:
                return self.role_department[candidate[5:]]
        return None

    def managed_by(self, user: UserRecord) -> frozenset[str]:
        """The departments `user` manages (every one for a manager role without department)."""
        managed = {self.manages[r] for r in user.roles if r in self.manages}
        return self.departments if EVERY_DEPARTMENT in managed else frozenset(managed)

    def manages_all(self, user: UserRecord) -> bool:
        return any(self.manages.get(r) == EVERY_DEPARTMENT for r in user.roles)


class Permissions:
    """The answers for one organisation chart."""

    def __init__(self, chart: OrgChart, standing_in: Callable[[str], Sequence[UserRecord]] | None = None):
        """`standing_in`: the people a user substitutes for now (engine/commands/absences.py),
        asked at most once per user and only when a question needs it."""
        self.chart = chart
        self._standing_in, self._absent = standing_in, {}

    # -- who a person is ---------------------------------------------------------------------
    def may_administer(self, user: UserRecord) -> bool:
        return bool(ADMIN_ROLES & set(user.roles))

    def may_audit(self, user: UserRecord) -> bool:
        """Read every instance and its history, search all, verify and export."""
        return bool((AUDIT_ROLES | ADMIN_ROLES) & set(user.roles)) or self.chart.manages_all(user)

    def may_own(self, user: UserRecord, version: StoredVersion | None = None) -> bool:
        """Edit, deploy and migrate procedures (`version`: one procedure, by its owning role)."""
        roles = set(user.roles)
        return OWNER_ROLE in roles or (version is not None and version.entry.owner_role in roles)

    @staticmethod
    def may_see_fingerprints(user: UserRecord) -> bool:
        """Whether a confidential value hidden from `user` shows its fingerprint (auditors match
        it against evidence) or only that it exists."""
        return bool(AUDIT_ROLES & set(user.roles))

    def may_manage(self, user: UserRecord) -> bool:
        """Whether `user` manages any department (sees the team page)."""
        return bool(self.chart.managed_by(user))

    def may_manage_tokens(self, user: UserRecord, owner: str) -> bool:
        """Create, list and revoke the API tokens of `owner`: that person, or an administrator."""
        return user.username == owner or self.may_administer(user)

    def may_record_absence(self, user: UserRecord, absent: UserRecord) -> bool:
        """Record or end `absent`'s absences: that person, an administrator, or a manager of a
        department one of their roles belongs to (or of every department)."""
        if user.username == absent.username or self.may_administer(user) or self.chart.manages_all(user):
            return True
        return bool(self.departments_of(absent) & self.chart.managed_by(user))

    def departments_of(self, person: UserRecord) -> frozenset[str]:
        """The departments `person`'s roles belong to."""
        return frozenset(self.chart.role_department[r] for r in person.roles if r in self.chart.role_department)

    @staticmethod
    def may_work_external(user: UserRecord) -> bool:
        """Fetch, lock, complete and fail external tasks: holders of the worker role (a service
        account's API token) and the operator; no one else, administrators included."""
        return bool(WORKER_ROLES & set(user.roles)) or user.username == OPERATOR_NAME

    def may_read_organisation_history(self, user: UserRecord) -> bool:
        return bool((AUDIT_ROLES | ADMIN_ROLES) & set(user.roles)) or self.chart.manages_all(user)

    # -- procedures and instances ------------------------------------------------------------
    def may_start(self, user: UserRecord, entry: CatalogEntry) -> bool:
        """Its catalog entry names the roles who may start it; none named means everyone."""
        starters = entry.starters
        return not starters or bool(set(starters) & set(user.roles))

    def may_view(self, user: UserRecord, record: InstanceRecord, tasks: list[TaskRecord]) -> bool:
        """Its starter, a participant, a manager of a department involved, those offered an open
        task, auditors, administrators and whoever manages every department."""
        if self.may_audit(user) or record.started_by == user.username:
            return True
        if any(t.claimed_by == user.username or t.completed_by == user.username for t in tasks):
            return True
        if {t.department for t in tasks if t.department} & self.chart.managed_by(user):
            return True
        return any(self.is_candidate(user, t) or self.acts_for(user, t.claimed_by) for t in tasks if t.status == "open")

    def may_cancel(self, user: UserRecord, record: InstanceRecord, tasks: list[TaskRecord]) -> bool:
        """Its starter, administrators, and the managers of the departments its tasks belong to."""
        return (record.started_by == user.username or self.may_administer(user)
                or bool({t.department for t in tasks if t.department} & self.chart.managed_by(user))
                or self.chart.manages_all(user))

    def may_withdraw(self, user: UserRecord, record: InstanceRecord) -> bool:
        return record.started_by == user.username

    def may_retry(self, user: UserRecord) -> bool:
        return self.may_administer(user)

    # -- tasks -------------------------------------------------------------------------------
    # -- substitutes (issue 15.5) -------------------------------------------------------------
    def stands_in_for(self, user: UserRecord) -> tuple[UserRecord, ...]:
        """The absent people `user` substitutes for now (none for the operator)."""
        if self._standing_in is None or user.username == OPERATOR_NAME:
            return ()
        if user.username not in self._absent:
            self._absent[user.username] = tuple(self._standing_in(user.username))
        return self._absent[user.username]

    def acts_for(self, user: UserRecord, username: str | None) -> bool:
        """`username` is `user`, or someone `user` substitutes for now."""
        return username is not None and (username == user.username
                                         or any(a.username == username for a in self.stands_in_for(user)))

    def on_behalf_of(self, user: UserRecord, task: TaskRecord) -> str | None:
        """Whom `user` substitutes for when acting on `task`: None when they may act on it
        themselves, else the absent person who holds it or, unclaimed, who may work on it."""
        if task.claimed_by == user.username or self._own_work(user, task):
            return None
        absent = self.stands_in_for(user)
        holder = next((a.username for a in absent if a.username == task.claimed_by), None)
        if holder is not None or task.claimed_by is not None:
            return holder
        return next((a.username for a in absent if self._own_work(a, task) and not _excluded(a, task)), None)

    # -- separation of duties (engine/spiff/duties.py) ----------------------------------------
    def duty_refusal(self, user: UserRecord, task: TaskRecord) -> tuple[Exclusion, str | None] | None:
        """The rule that alone keeps `user` from working on `task`, and whom they stand in for
        when it is that person's (None: their own). None when no rule does — they may work on it,
        or may not for other reasons (not offered it at all)."""
        own = _excluded(user, task)
        if own is not None:
            absent = self.stands_in_for(user)
            reach = (self._own_work(user, task) or self.acts_for(user, task.claimed_by)
                     or any(self._own_work(a, task) for a in absent))
            return (own, None) if reach else None
        if self._own_work(user, task) or task.claimed_by is not None:
            return None
        through = [a for a in self.stands_in_for(user) if self._own_work(a, task)]
        if through and all(_excluded(a, task) for a in through):
            return _excluded(through[0], task), through[0].username
        return None

    def receiver_refusal(self, target: UserRecord, task: TaskRecord) -> Exclusion | None:
        """The rule that keeps a task from being handed to `target`, who otherwise could take it."""
        own = _excluded(target, task)
        return own if own is not None and target.active and self._own_work(target, task) else None

    # -- tasks -------------------------------------------------------------------------------
    def is_candidate(self, user: UserRecord, task: TaskRecord) -> bool:
        """The task is offered to `user` by name or by one of their roles, or so to someone they
        substitute for now — never to whom separation of duties excludes from it."""
        if _excluded(user, task):
            return False
        return _offered(user, task) or any(_offered(a, task) and not _excluded(a, task) for a in self.stands_in_for(user))

    def manages(self, user: UserRecord, task: TaskRecord) -> bool:
        """`user` manages the task's department (or every department)."""
        return self.chart.manages_all(user) or (task.department is not None
                                                and task.department in self.chart.managed_by(user))

    def _own_work(self, user: UserRecord, task: TaskRecord) -> bool:
        return _offered(user, task) or self.manages(user, task)

    def may_work_on(self, user: UserRecord, task: TaskRecord) -> bool:
        """Claim or complete it: a candidate, or a manager of its department — or a substitute,
        while the absence lasts, of someone who may; never someone separation of duties
        excludes from it (nor a substitute through them)."""
        if _excluded(user, task):
            return False
        return self._own_work(user, task) or any(self._own_work(a, task) and not _excluded(a, task)
                                                 for a in self.stands_in_for(user))

    def may_complete(self, user: UserRecord, task: TaskRecord) -> bool:
        """Open, and claimed by `user` (or by someone they substitute for), or unclaimed and
        `user` may work on it; never by someone separation of duties excludes from it."""
        return task.status == "open" and not _excluded(user, task) and (
            self.acts_for(user, task.claimed_by) or (task.claimed_by is None and self.may_work_on(user, task)))

    def may_release(self, user: UserRecord, task: TaskRecord) -> bool:
        return self.acts_for(user, task.claimed_by) or self.manages(user, task)

    def may_reassign(self, user: UserRecord, task: TaskRecord) -> bool:
        return self.manages(user, task)

    def may_receive(self, target: UserRecord, task: TaskRecord) -> bool:
        """Whether a task may be handed to `target`: an active candidate or a manager of it whom
        separation of duties does not exclude from it."""
        return target.active and self._own_work(target, task) and not _excluded(target, task)

    def inbox_departments(self, user: UserRecord) -> list[str]:
        """The departments whose open tasks `user` sees on the team page."""
        return sorted(self.chart.managed_by(user))


def _excluded(person: UserRecord, task: TaskRecord) -> Exclusion | None:
    """The separation-of-duties rule that excludes `person` from `task` (the task row keeps them
    up to date: engine/commands/duties.py)."""
    return task.exclusion_of(person.username) if task.excluded else None


def _offered(user: UserRecord, task: TaskRecord) -> bool:
    """The task is offered to `user` by name or by one of their roles."""
    offered = set(task.candidates)
    return f"user:{user.username}" in offered or any(f"role:{r}" in offered for r in user.roles)
