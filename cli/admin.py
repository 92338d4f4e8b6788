"""`zhidu` commands that administer users: add, edit, change roles, set a password,
deactivate leavers (R7.1.4) and reactivate them.

They run at operator level — whoever may run `zhidu` on the server administers — and `--as
ADMIN` optionally names the administrator, who must then hold the admin role and is recorded
in the journal of any task a deactivation releases. Passwords are read from standard input,
never from the command line (where `ps` and shell history would keep them).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, Callable

from engine.errors import InvalidInput
from bootstrap.wiring import build, hash_password

MIN_PASSWORD = 8


def _roles(text: str) -> list[str]:
    roles = [r.strip() for r in text.split(",") if r.strip()]
    if not roles:
        raise InvalidInput("--roles needs at least one role, e.g. --roles customer-service-staff")
    return roles


def read_password(stream: Any = None) -> str:
    """The first line of standard input, as the new password.

    Raises:
        InvalidInput: shorter than MIN_PASSWORD characters.
    """
    password = (stream or sys.stdin).readline().rstrip("\r\n")
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"the password read from standard input needs at least {MIN_PASSWORD} characters")
    return password


def cmd_user_add(args: argparse.Namespace) -> Any:
    password_hash = hash_password(read_password()) if args.password_stdin else None
    user = build().engine.add_user(args.username, args.name or args.username, _roles(args.roles),
                                   args.department, password_hash, actor=args.actor)
    return user.to_dict()


def cmd_user_roles(args: argparse.Namespace) -> Any:
    return build().engine.set_roles(args.username, _roles(args.roles), actor=args.actor,
                                    department=args.department).to_dict()


def cmd_user_deactivate(args: argparse.Namespace) -> Any:
    return build().engine.deactivate_user(args.username, actor=args.actor).to_dict()


def cmd_user_reactivate(args: argparse.Namespace) -> Any:
    return build().engine.reactivate_user(args.username, actor=args.actor).to_dict()


def cmd_user_password(args: argparse.Namespace) -> Any:
    if not args.password_stdin:
        raise InvalidInput("give the new password on standard input with --password-stdin")
    return build().engine.set_password(args.username, hash_password(read_password()), actor=args.actor).to_dict()


def cmd_user_edit(args: argparse.Namespace) -> Any:
    if args.name is None and args.department is None:
        raise InvalidInput("nothing to change: give --name and/or --department")
    return build().engine.edit_user(args.username, name=args.name, department=args.department,
                                    actor=args.actor).to_dict()


def cmd_org_history(args: argparse.Namespace) -> Any:
    return [e.to_dict() for e in build().engine.organisation_history(args.actor)]


def register(add: Callable[[str, Callable, str], argparse.ArgumentParser]) -> None:
    """Add the user commands to the `zhidu` parser (`add` is the parser's own helper)."""
    p = add("user-add", cmd_user_add, "add a user (operator level; --as ADMIN to name who)")
    p.add_argument("username")
    p.add_argument("--name", default=None, help="the name shown to others")
    p.add_argument("--roles", required=True, help="comma-separated role keys")
    p.add_argument("--department", default=None)
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    p.add_argument("--as", dest="actor", default=None, help="the administrator acting (optional)")
    p = add("user-roles", cmd_user_roles, "replace a user's roles (and department)")
    p.add_argument("username")
    p.add_argument("--roles", required=True, help="comma-separated role keys")
    p.add_argument("--department", default=None)
    p.add_argument("--as", dest="actor", default=None, help="the administrator acting (optional)")
    p = add("org-history", cmd_org_history, "who changed users and roles, when (hash-chained journal)")
    p.add_argument("--as", dest="actor", required=True, help="an auditor, administrator or the director")
    p = add("user-edit", cmd_user_edit, "change a user's name and/or department (--department '' for none)")
    p.add_argument("username")
    p.add_argument("--name", default=None, help="the name shown to others")
    p.add_argument("--department", default=None, help="a department key, or '' for none")
    p.add_argument("--as", dest="actor", default=None, help="the administrator acting (optional)")
    p = add("user-password", cmd_user_password, "set a user's password, read from standard input")
    p.add_argument("username")
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    p.add_argument("--as", dest="actor", default=None, help="the administrator acting (optional)")
    p = add("user-reactivate", cmd_user_reactivate, "let a deactivated user sign in and act again")
    p.add_argument("username")
    p.add_argument("--as", dest="actor", default=None, help="the administrator acting (optional)")
    p = add("user-deactivate", cmd_user_deactivate,
            "deactivate a leaver: no more sign-in; their claimed tasks go back to their roles")
    p.add_argument("username")
    p.add_argument("--as", dest="actor", default=None, help="the administrator acting (optional)")


def _change(payload: dict[str, Any]) -> str:
    """An organisation entry's payload as one readable line: `user  field: before -> after`."""
    def text(value: Any) -> str:
        return ",".join(map(str, value)) if isinstance(value, list) else "-" if value in (None, "") else str(value)
    before, after = payload.get("before") or {}, payload.get("after") or {}
    parts = [f"{k}: {text(before.get(k))} -> {text(after.get(k))}" for k in after]
    parts += [f"{k}: {text(v)}" for k, v in payload.items() if k not in ("username", "before", "after")]
    return "  ".join([str(payload.get("username", "")), *parts])


PRINTERS = {
    "org-history": lambda entries: "\n".join(
        f"{e['seq']:>4} {e['at']} {e['kind']:<16} {e['actor'] or '-':<10} {_change(e['payload'])}" for e in entries)
    or "no organisation changes recorded",
    "user-add": lambda u: f"added {u['username']} ({', '.join(u['roles'])})",
    "user-roles": lambda u: f"{u['username']} now has roles {', '.join(u['roles'])}",
    "user-edit": lambda u: f"{u['username']} is now {u['name']} ({u['department'] or 'no department'})",
    "user-password": lambda u: f"password of {u['username']} set",
    "user-reactivate": lambda u: f"reactivated {u['username']}",
    "user-deactivate": lambda u: f"deactivated {u['username']}; released {len(u['released_tasks'])} claimed task(s)",
}
