"""`zhidu` commands for personal API tokens: create one (its secret printed this once), list a
user's tokens with their last use, revoke one.

token-create and token-list run at operator level (whoever may run `zhidu` on the server may
give anyone a token); `--as USER` names whose tokens they are. token-revoke acts as `--as USER`,
who must own the token or be an administrator.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, Callable

from bootstrap.wiring import build
from engine.errors import InvalidInput


def _days(text: str | None) -> int | None:
    """`--expires`: a whole number of days, or None.

    Raises:
        InvalidInput: not a whole number.
    """
    if text is None:
        return None
    try:
        return int(text.strip())
    except ValueError:
        raise InvalidInput(f"--expires takes a whole number of days (1 to 3650), not {text!r}") from None


def cmd_token_create(args: argparse.Namespace) -> Any:
    view, secret = build().engine.create_token(args.user, args.name, _days(args.expires))
    result = {"token": secret, "id": view.id, "name": view.name,
              "expires_at": view.expires_at.isoformat() if view.expires_at else None}
    if args.json:
        return result
    # The secret alone on standard output (for `$(zhidu token-create ...)`); the rest for people.
    print(secret)
    until = f"expires {result['expires_at']}" if view.expires_at else "does not expire"
    print(f"token {view.id} ({view.name}) for {view.username}, {until}; it is shown only this once — "
          f"copy it now", file=sys.stderr)
    return None


def cmd_token_list(args: argparse.Namespace) -> Any:
    tokens = [t.to_dict() for t in build().engine.tokens(args.user)]
    if args.json:
        return tokens
    print("\n".join(_line(t) for t in tokens) or f"{args.user} has no API tokens")
    return None


def cmd_token_revoke(args: argparse.Namespace) -> Any:
    token = build().engine.revoke_token(args.token, args.user).to_dict()
    if args.json:
        return token
    print(f"revoked {token['id']} ({token['name']}) of {token['username']}")
    return None


def _line(t: dict[str, Any]) -> str:
    return (f"{t['id']}  {t['status']:<8} {t['name']}  created {t['created_at']}  "
            f"expires {t['expires_at'] or 'never'}  last used {t['last_used_at'] or 'never'}")


def register(add: Callable[[str, Callable, str], argparse.ArgumentParser]) -> None:
    """Add the token commands to the `zhidu` parser (`add` is the parser's own helper)."""
    p = add("token-create", cmd_token_create, "create a personal API token for a user; prints it once")
    p.add_argument("--as", dest="user", required=True, help="the user the token acts for")
    p.add_argument("--name", required=True, help="what the token is for (1 to 100 characters)")
    p.add_argument("--expires", default=None, metavar="DAYS",
                   help="days until it stops working (1 to 3650; default: never)")
    p = add("token-list", cmd_token_list, "a user's API tokens with their last use (never the secrets)")
    p.add_argument("--as", dest="user", required=True, help="whose tokens")
    p = add("token-revoke", cmd_token_revoke, "revoke an API token: it stops working at once")
    p.add_argument("token", metavar="ID")
    p.add_argument("--as", dest="user", required=True, help="its owner, or an administrator")
