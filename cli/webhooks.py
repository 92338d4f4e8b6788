"""`zhidu` commands for webhook subscriptions: add one (its signing secret printed this once),
list them, remove one, and look at the delivery log.

They run at operator level (whoever may run `zhidu` on the server administers); `--as ADMIN`
optionally names the administrator, who must then hold the admin role.
"""

from __future__ import annotations

import argparse
from typing import Any, Callable

from bootstrap.wiring import build
from engine.permissions import OPERATOR_NAME


def cmd_webhook_add(args: argparse.Namespace) -> Any:
    events = [e.strip() for e in args.events.split(",") if e.strip()]
    return build().engine.add_webhook(args.url, events, actor=args.actor or OPERATOR_NAME).to_dict()


def cmd_webhook_list(args: argparse.Namespace) -> Any:
    return [s.to_dict() for s in build().engine.webhook_subscriptions(actor=args.actor or OPERATOR_NAME)]


def cmd_webhook_remove(args: argparse.Namespace) -> Any:
    return build().engine.remove_webhook(args.id, actor=args.actor or OPERATOR_NAME).to_dict()


def cmd_webhook_log(args: argparse.Namespace) -> Any:
    log = build().engine.webhook_deliveries(args.page, actor=args.actor or OPERATOR_NAME)
    return {"page": log.page, "pages": log.pages, "total": log.total, "deliveries": [e.to_dict() for e in log.entries]}


def register(add: Callable[[str, Callable, str], argparse.ArgumentParser]) -> None:
    """Add the webhook commands to the `zhidu` parser (`add` is the parser's own helper)."""
    p = add("webhook-add", cmd_webhook_add, "subscribe a URL to events; prints its signing secret once")
    p.add_argument("url", help="http:// or https:// (no user name or password in it)")
    p.add_argument("--events", required=True,
                   help="comma-separated: instance.started, instance.completed, instance.cancelled, "
                        "instance.withdrawn, instance.failed, task.created, task.completed")
    p.add_argument("--as", dest="actor", default=None, help="the administrator acting (optional)")
    add("webhook-list", cmd_webhook_list, "list webhook subscriptions (never their secrets)") \
        .add_argument("--as", dest="actor", default=None, help="the administrator acting (optional)")
    p = add("webhook-remove", cmd_webhook_remove, "remove a subscription; deliveries not yet made are dropped")
    p.add_argument("id")
    p.add_argument("--as", dest="actor", default=None, help="the administrator acting (optional)")
    p = add("webhook-log", cmd_webhook_log, "the webhook delivery log, newest first, 50 a page")
    p.add_argument("--page", type=int, default=1)
    p.add_argument("--as", dest="actor", default=None, help="the administrator acting (optional)")
