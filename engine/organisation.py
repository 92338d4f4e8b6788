"""The organisation (departments, roles, users) as data, read from `processes/organisation.yaml`."""

from __future__ import annotations

from typing import Callable

import yaml

from engine.errors import DefinitionInvalid, Problem
from engine.form_yaml import load_definition
from engine.records import Department, Organisation, Role, UserRecord


def parse_organisation(text: str, file: str, hash_password: Callable[[str], str] | None = None,
                       default_password: str | None = None) -> Organisation:
    """Read an organisation file; every user's roles and department must be declared.

    Raises:
        DefinitionInvalid: naming each unknown role or department.
    """
    try:
        doc = load_definition(text) or {}
    except yaml.YAMLError as err:
        raise DefinitionInvalid([Problem(file, f"cannot read YAML: {err}".split("\n")[0])]) from err
    departments = tuple(Department(d["key"], dict(d.get("name") or {})) for d in doc.get("departments") or [])
    roles = tuple(Role(r["key"], dict(r.get("name") or {})) for r in doc.get("roles") or [])
    dept_keys, role_keys = {d.key for d in departments}, {r.key for r in roles}
    problems, users = [], []
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
                                hash_password(password) if hash_password and password else None))
    if problems:
        raise DefinitionInvalid(problems)
    return Organisation(departments, roles, tuple(users))
