"""Administration commands: the organisation loaded from its file, users, their roles, leavers
(R7.1.3, R7.1.4), and the organisation's own journal.

Every command takes an optional `actor`: the web UI passes the signed-in user, who must be an
administrator; the CLI runs at operator level (whoever may run `zhidu` on the server) and may
pass `--as` to name who acts in the journal.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from typing import Any

from engine.audit.journal import GENESIS, JournalEntry, JournalWriter, verify_chain
from engine.commands.runner import Runner, found
from engine.errors import FieldError, InvalidInput, PermissionDenied, UserInvalid, UserNotFound
from engine.permissions import OPERATOR_NAME
from engine.ports import UnitOfWork
from engine.records import Organisation, UserRecord
from engine.views import UserView

# Usernames as the forms that name people accept them (forms/onboarding_start.yaml).
USERNAME = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
MAX_NAME = 100
# The journal stream of organisation changes (kept beside the instances' journals).
ORGANISATION_JOURNAL = "organisation"
log = logging.getLogger("zhidu.admin")


@dataclass(frozen=True)
class DeactivatedUser:
    """A leaver: the user as now stored and the claimed tasks given back to their roles."""

    user: UserView
    released: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {**self.user.to_dict(), "released_tasks": list(self.released)}


@dataclass(frozen=True)
class OrganisationView:
    """Departments and roles with their names, for choosing in forms."""

    departments: tuple[tuple[str, dict[str, str]], ...]
    roles: tuple[tuple[str, dict[str, str]], ...]


class PeopleCommands:
    """Each method one unit of work through the runner."""

    def __init__(self, run: Runner):
        self.run = run

    def load_organisation(self, organisation: Organisation) -> int:
        """Create or update departments, roles and users; returns the number of users."""
        with self.run.unit() as uow:
            for department in organisation.departments:
                uow.users.upsert_department(department)
            for role in organisation.roles:
                uow.users.upsert_role(role)
            for user in organisation.users:
                uow.users.upsert(user)
            uow.commit()
        return len(organisation.users)

    def organisation(self) -> OrganisationView:
        """The departments and roles users can be given."""
        with self.run.unit() as uow:
            return OrganisationView(tuple((d.key, d.name) for d in uow.users.departments()),
                                    tuple((r.key, r.name) for r in uow.users.roles()))

    def administered_users(self, actor: str) -> list[UserView]:
        """Every user, active or not, for an administrator. Raises: PermissionDenied."""
        with self.run.unit() as uow:
            self._require_admin(uow, actor)
            return [_view(u) for u in sorted(uow.users.all(), key=lambda u: u.username)]

    def add_user(self, username: str, name: str, roles: list[str], department: str | None = None,
                 password_hash: str | None = None, actor: str | None = None) -> UserView:
        """Create a user (active) with `roles`.

        Raises:
            PermissionDenied (actor is not an administrator), UserInvalid (an InvalidInput: no
            username, not a valid one, taken; unknown role or department; name too long).
        """
        with self.run.unit() as uow:
            self._require_admin(uow, actor)
            problems = _username_problems(uow, username) + _name_problems(name)
            problems += _organisation_problems(uow, roles, department)
            if problems:
                raise UserInvalid(problems)
            user = UserRecord(username, name.strip() or username, department or None, tuple(roles), True, password_hash)
            uow.users.upsert(user)
            self._record_organisation(uow, actor, "user_added", {"username": username, "roles": list(roles),
                                                                 "department": department or None})
            uow.commit()
        log.info("user %s added with roles %s by %s", username, ",".join(roles), actor or "operator")
        return _view(user)

    def set_roles(self, username: str, roles: list[str], actor: str | None = None,
                  department: str | None = None) -> UserView:
        """Replace a user's roles (and department, when given).

        Raises:
            PermissionDenied, UserNotFound, InvalidInput (unknown role or department).
        """
        with self.run.unit() as uow:
            self._require_admin(uow, actor)
            user = _existing(uow, username)
            problems = _organisation_problems(uow, roles, department)
            if problems:
                raise UserInvalid(problems)
            before = {"roles": list(user.roles), "department": user.department}
            user = replace(user, roles=tuple(roles), department=department if department is not None else user.department)
            uow.users.upsert(user)
            self._record_organisation(uow, actor, "roles_changed", {
                "username": username, "before": before, "after": {"roles": list(roles), "department": user.department}})
            uow.commit()
        log.info("user %s given roles %s by %s", username, ",".join(roles), actor or "operator")
        return _view(user)

    def deactivate_user(self, username: str, actor: str | None = None) -> DeactivatedUser:
        """Deactivate a leaver: they can no longer sign in or act, and every task they had
        claimed goes back to its candidates (a `released` journal entry per task, R7.1.4).

        Raises:
            PermissionDenied (not an administrator, or deactivating oneself), UserNotFound.
        """
        with self.run.unit() as uow:
            self._require_admin(uow, actor)
            if actor == username:
                raise PermissionDenied("administrators cannot deactivate themselves")
            user = _existing(uow, username)
            released = self._release_claims(uow, user, actor)
            user = replace(user, active=False)
            uow.users.upsert(user)
            uow.sessions.end_for_user(username)  # signed out everywhere, in the same transaction
            self._record_organisation(uow, actor, "user_deactivated", {"username": username, "released": released})
            uow.commit()
        log.info("user %s deactivated by %s; %d claimed task(s) released", username, actor or "operator", len(released))
        return DeactivatedUser(_view(user), tuple(released))

    def _release_claims(self, uow: UnitOfWork, user: UserRecord, actor: str | None) -> list[str]:
        """Give every open task `user` claimed back to its candidates; returns their ids."""
        released = []
        for task in uow.tasks.inbox(user.username, user.roles):
            if task.status == "open" and task.claimed_by == user.username:
                task.claimed_by = None
                self.run.record_task_command(uow, task, self.run.instance(uow, task.instance_id), actor, "released", {
                    "task_id": task.id, "element": task.spec_name, "from": user.username, "reason": "deactivated"})
                released.append(task.id)
        return released

    def reactivate_user(self, username: str, actor: str | None = None) -> UserView:
        """Let a deactivated user sign in and act again (their roles are as they were).

        Raises:
            PermissionDenied, UserNotFound, InvalidInput (the user is active).
        """
        with self.run.unit() as uow:
            self._require_admin(uow, actor)
            user = _existing(uow, username)
            if user.active:
                raise InvalidInput(f"user {username!r} is active")
            user = replace(user, active=True)
            uow.users.upsert(user)
            self._record_organisation(uow, actor, "user_reactivated", {"username": username})
            uow.commit()
        log.info("user %s reactivated by %s", username, actor or "operator")
        return _view(user)

    def set_password(self, username: str, password_hash: str, actor: str | None = None) -> UserView:
        """Give a user a new password (its hash); the journal records that and who, never the hash.

        Raises:
            PermissionDenied, UserNotFound.
        """
        with self.run.unit() as uow:
            self._require_admin(uow, actor)
            user = replace(_existing(uow, username), password_hash=password_hash)
            uow.users.upsert(user)
            self._record_organisation(uow, actor, "password_set", {"username": username})
            uow.commit()
        log.info("password of %s set by %s", username, actor or "operator")
        return _view(user)

    def edit_user(self, username: str, name: str | None = None, department: str | None = None,
                  roles: list[str] | None = None, actor: str | None = None) -> UserView:
        """Change a user's name, department (`""`: none) and roles; None leaves a value as it
        is. One journal entry with what changed, before and after (none if nothing changed).

        Raises:
            PermissionDenied, UserNotFound, UserInvalid (unknown department or role, bad name).
        """
        with self.run.unit() as uow:
            self._require_admin(uow, actor)
            user = _existing(uow, username)
            problems = _name_problems(name or "") + _organisation_problems(uow, roles or [], department or None)
            if problems:
                raise UserInvalid(problems)
            after = {"name": (name or "").strip() or user.name if name is not None else user.name,
                     "department": (department or None) if department is not None else user.department,
                     "roles": list(roles) if roles is not None else list(user.roles)}
            before = {"name": user.name, "department": user.department, "roles": list(user.roles)}
            changed = [k for k in before if before[k] != after[k]]
            if changed:
                user = replace(user, name=after["name"], department=after["department"], roles=tuple(after["roles"]))
                uow.users.upsert(user)
                self._record_organisation(uow, actor, "user_edited", {
                    "username": username, "before": {k: before[k] for k in changed},
                    "after": {k: after[k] for k in changed}})
                uow.commit()
        log.info("user %s edited by %s", username, actor or "operator")
        return _view(user)

    def organisation_history(self, actor: str) -> list[JournalEntry]:
        """Who added users, changed roles and deactivated leavers, when: a hash-chained journal
        of its own. For auditors, administrators and the director. Raises: PermissionDenied."""
        with self.run.unit() as uow:
            if not self.run.permissions(uow).may_read_organisation_history(self.run.actor(uow, actor)):
                raise PermissionDenied(f"{actor} may not read the organisation's history")
            return uow.journal.for_instance(ORGANISATION_JOURNAL)

    def verify_organisation(self) -> int | None:
        """The seq where the organisation journal's chain breaks, or None when it holds."""
        with self.run.unit() as uow:
            return verify_chain(uow.journal.for_instance(ORGANISATION_JOURNAL))

    def _record_organisation(self, uow: UnitOfWork, actor: str | None, kind: str, payload: dict[str, Any]) -> None:
        # The organisation's journal has no instance row to hold its head, so it is read here.
        last = uow.journal.last(ORGANISATION_JOURNAL)
        writer = JournalWriter(ORGANISATION_JOURNAL, last.seq if last else 0, last.entry_hash if last else GENESIS,
                               self.run.clock.now(), None if actor == OPERATOR_NAME else actor)
        writer.add(kind, payload)
        uow.journal.append(writer.entries)

    def _require_admin(self, uow: UnitOfWork, actor: str | None) -> None:
        """None (the CLI without --as) is the operator, who administers."""
        if not self.run.permissions(uow).may_administer(self.run.actor(uow, actor)):
            raise PermissionDenied(f"{actor} is not an administrator")


def _existing(uow: UnitOfWork, username: str) -> UserRecord:
    """The user, active or not."""
    return found(uow.users.get(username), UserNotFound, f"unknown user {username!r}")


def _username_problems(uow: UnitOfWork, username: str) -> list[FieldError]:
    if not username:
        return [FieldError("username", "a username must be given", "required")]
    if not USERNAME.match(username):
        return [FieldError("username", f"{username[:40]!r} is not a username: a lowercase letter, then 1-39 "
                                       "lowercase letters, digits or _", "username_format")]
    if uow.users.get(username) is not None:
        return [FieldError("username", f"user {username!r} exists already", "username_taken")]
    return []


def _name_problems(name: str) -> list[FieldError]:
    if len(name.strip()) > MAX_NAME or "\x00" in name:
        return [FieldError("name", f"a name has at most {MAX_NAME} characters", "name_too_long")]
    return []


def _organisation_problems(uow: UnitOfWork, roles: list[str], department: str | None) -> list[FieldError]:
    problems = []
    known = {r.key for r in uow.users.roles()}
    unknown = [r for r in roles if r not in known]
    if unknown:
        problems.append(FieldError("roles", f"unknown role(s): {', '.join(unknown)}", "unknown_role"))
    if department and department not in {d.key for d in uow.users.departments()}:
        problems.append(FieldError("department", f"unknown department {department!r}", "unknown_department"))
    return problems


def _view(user: UserRecord) -> UserView:
    return UserView(user.username, user.name, user.department, user.roles, user.active)
