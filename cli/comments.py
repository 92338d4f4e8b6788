"""`zhidu comment`, `zhidu absence-add` and `zhidu absence-list` (issue 15.3/15.5): a comment on an
instance as a user, an absence with its substitute, and one's absences — each acting `--as USER`
through the same engine checks as the web pages."""

from __future__ import annotations

import argparse
from typing import Any, Callable

from bootstrap.wiring import build


def cmd_comment(args: argparse.Namespace) -> Any:
    made = build().engine.comment(args.instance, args.user, args.text)
    if args.json:
        return made.to_dict()
    print(f"comment {made.seq} on {args.instance}" + (f", mentioning {', '.join(made.mentions)}" if made.mentions else ""))
    return None


def cmd_absence_add(args: argparse.Namespace) -> Any:
    made = build().engine.record_absence(args.who or args.user, args.starts, args.ends, args.substitute, args.user)
    if args.json:
        return made.to_dict()
    print(f"{made.username} away {made.starts_on} to {made.ends_on}; {made.substitute} stands in ({made.status})")
    return None


def cmd_absence_list(args: argparse.Namespace) -> Any:
    found = build().engine.absences(args.user)
    lists = {"mine": found.mine, "covering": found.covering, "team": found.team}
    if args.json:
        return {name: [a.to_dict() for a in rows] for name, rows in lists.items()}
    lines = [f"{name:<9}{a.id}  {a.username} {a.starts_on}..{a.ends_on} -> {a.substitute}  {a.status}"
             for name, rows in lists.items() for a in rows]
    print("\n".join(lines) or f"no absences for {args.user}")
    return None


def register(add: Callable[[str, Callable, str], argparse.ArgumentParser]) -> None:
    """Add the comment and absence commands to the `zhidu` parser (`add` is the parser's own helper)."""
    p = add("comment", cmd_comment, "comment on an instance (kept in its journal; @username mentions)")
    p.add_argument("instance", metavar="INSTANCE")
    p.add_argument("--as", dest="user", required=True, help="who writes it (they must be able to see the instance)")
    p.add_argument("--text", required=True, help="the comment (at most 4000 characters)")
    p = add("absence-add", cmd_absence_add, "record an absence and who stands in meanwhile")
    p.add_argument("--as", dest="user", required=True, help="who records it (the absent person by default)")
    p.add_argument("--for", dest="who", default=None, help="the absent person, if not --as (their manager, an admin)")
    p.add_argument("--from", dest="starts", required=True, metavar="DATE", help="first day away (YYYY-MM-DD)")
    p.add_argument("--to", dest="ends", required=True, metavar="DATE", help="last day away (YYYY-MM-DD, included)")
    p.add_argument("--substitute", required=True, metavar="USER", help="who stands in")
    p = add("absence-list", cmd_absence_list, "a user's absences, whom they stand in for, and their departments'")
    p.add_argument("--as", dest="user", required=True)
