"""The organisation (departments, roles, users) as data, read from `processes/organisation.yaml`."""

from __future__ import annotations

from typing import Callable

import yaml

from engine.errors import DefinitionInvalid, Problem
from engine.definitions.form_yaml import load_definition
from engine.records import Department, Organisation, Role, UserRecord


def parse_organisation(text: str, file: str, hash_password: Callable[[str], str] | None = None,
                       default_password: str | None = None) -> Organisation:
    """Read an organisation file; every user's roles and department, and every role's department,
    must be declared, and a role's `manager` must be a boolean.

    Raises:
        DefinitionInvalid: naming each unknown role or department and each non-boolean `manager`.
    """
    try:
        doc = load_definition(text) or {}
    except yaml.YAMLError as err:
        raise DefinitionInvalid([Problem(file, f"cannot read YAML: {err}".split("\n")[0])]) from err
    departments = tuple(Department(d["key"], dict(d.get("name") or {})) for d in doc.get("departments") or [])
    dept_keys = {d.key for d in departments}
    problems: list[Problem] = []
    roles = tuple(_role(raw, dept_keys, file, problems) for raw in doc.get("roles") or [])
    role_keys = {r.key for r in roles}
    users = []
    for raw in doc.get("users") or []:
        username = str(raw.get("username") or "")
        unknown = [r for r in raw.get("roles") or [] if r not in role_keys]
        if not username:
            problems.append(Problem(file, "a user has no username"))
        if unknown:
            problems.append(Problem(file, f"user {username}: unknown role(s) {', '.join(unknown)}", username))
        if raw.get("department") and raw["department"] not in dept_keys:
            problems.append(Problem(file, f"user {username}: unknown department {raw['department']}", username))
        password = raw.get("password") or default_password
        users.append(UserRecord(username, str(raw.get("name") or username), raw.get("department"),
                                tuple(raw.get("roles") or ()), bool(raw.get("active", True)),
                                hash_password(password) if hash_password and password else None,
                                str(raw["email"]).strip() if raw.get("email") else None))
    if problems:
        raise DefinitionInvalid(problems)
    return Organisation(departments, roles, tuple(users))


def _role(raw: dict, dept_keys: set[str], file: str, problems: list[Problem]) -> Role:
    """One role of the file; a `department` it names must be declared and `manager` must be a boolean.

    Problems found are appended to `problems` (so every bad role is reported at once).
    """
    key, department, manager = raw["key"], raw.get("department"), raw.get("manager", False)
    if department is not None and (not isinstance(department, str) or department not in dept_keys):
        problems.append(Problem(file, f"role {key}: unknown department {department}", key))
    if not isinstance(manager, bool):
        problems.append(Problem(file, f"role {key}: manager must be true or false, not {manager!r}", key))
    return Role(key, dict(raw.get("name") or {}), department, manager is True)
