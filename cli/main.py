"""The `zhidu` command line: its parser, and the call from arguments to printed result. Every
command takes `--json` and then prints one JSON document; what each does is in cli/commands.py
(and cli/admin.py, comments.py, tokens.py, webhooks.py).

Errors print one line naming what is wrong (or a JSON error document) and exit non-zero;
nothing is written when a command fails.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, Callable

from cli import output as out
from cli.commands import (
    EXIT_ERROR, Finished, cmd_cancel, cmd_claim, cmd_complete, cmd_deploy, cmd_export, cmd_fire_timers, cmd_history,
    cmd_init, cmd_message, cmd_processes, cmd_release, cmd_retry, cmd_serve, cmd_show, cmd_start, cmd_tasks,
    cmd_users, cmd_verify, cmd_withdraw, cmd_worker,
)


def _parser(only: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser. With `only` (the command a call names), only that command's
    arguments are set up: the forty others' cost a call milliseconds, mostly argparse's gettext
    look-ups; its usage, help and errors are the same. Any other name gets the whole parser."""
    parser, registered = _build_parser(only)
    return parser if only is None or registered else _build_parser(None)[0]


class _Unused:
    """Stands in for the parser of a command this call does not run: its arguments go nowhere."""

    def add_argument(self, *args: Any, **kwargs: Any) -> None:
        return None


def _build_parser(only: str | None) -> tuple[argparse.ArgumentParser, list[str]]:
    parser = argparse.ArgumentParser(prog="zhidu", description="zhidu (制度): the regulation, executable.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    registered: list[str] = []

    def add(name: str, func: Callable, help_text: str) -> Any:
        if only is not None and name != only:
            return _Unused()
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--json", action="store_true", help="print one JSON document")
        p.set_defaults(func=func)
        registered.append(name)
        return p

    for group in (_setup_commands, _task_commands, _instance_commands, _evidence_commands):
        group(add)
    if only is None or not registered:  # the call names none of this module's commands
        from cli import admin, comments, tokens, webhooks

        for module in (admin, webhooks, tokens, comments):
            module.register(add)
    return parser, registered


def _setup_commands(add: Callable[..., argparse.ArgumentParser]) -> None:
    """Set-up and running: init, serve, worker, deploy, processes, users."""
    add("init", cmd_init, "create or migrate the database and deploy processes/") \
        .add_argument("--demo", action="store_true", help="also load the demo organisation")
    p = add("serve", cmd_serve, "serve the web app (with the timer worker in-process)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5000)
    p.add_argument("--no-worker", action="store_true", help="do not run the timer worker in-process")
    p.add_argument("--workers", type=int, default=1, metavar="N",
                   help="web processes: 1 serves with waitress; more run gunicorn (use PostgreSQL to scale out)")
    p = add("worker", cmd_worker, "fire due timers until stopped")
    p.add_argument("--interval", type=float, default=5.0, help="seconds between polls")
    p.add_argument("--once", action="store_true", help="one pass, then exit")
    p = add("deploy", cmd_deploy, "deploy procedures (default: processes/) as new versions")
    p.add_argument("paths", nargs="*", metavar="PATH")
    p.add_argument("--as", dest="actor", default=None, help="who deploys (recorded)")
    p.add_argument("--comment", default="")
    add("processes", cmd_processes, "list the deployed procedures")
    add("users", cmd_users, "list users, their roles and departments")


def _task_commands(add: Callable[..., argparse.ArgumentParser]) -> None:
    """Starting procedures and working on tasks."""
    p = add("start", cmd_start, "start a procedure")
    p.add_argument("key")
    p.add_argument("--as", dest="actor", required=True)
    p.add_argument("--data", help="start data: a JSON object, or @file")
    p.add_argument("--file", dest="files", action="append", default=[], metavar="FIELD=PATH",
                   help="attach the file at PATH to the start form's file field FIELD (repeatable)")
    add("tasks", cmd_tasks, "tasks offered to or claimed by a user") \
        .add_argument("--as", dest="actor", required=True)
    for name, func, text in (("claim", cmd_claim, "claim a task"), ("release", cmd_release, "release a claimed task")):
        p = add(name, func, text)
        p.add_argument("task")
        p.add_argument("--as", dest="actor", required=True)
    p = add("complete", cmd_complete, "complete a task with form data")
    p.add_argument("task")
    p.add_argument("--as", dest="actor", required=True)
    p.add_argument("--data", required=True, help="form data: a JSON object, or @file")
    p.add_argument("--file", dest="files", action="append", default=[], metavar="FIELD=PATH",
                   help="attach the file at PATH to the form's file field FIELD (repeatable)")


def _instance_commands(add: Callable[..., argparse.ArgumentParser]) -> None:
    """Timers, retries, messages, cancelling and withdrawing instances."""
    p = add("fire-timers", cmd_fire_timers, "fire every timer due at --now and start scheduled procedures")
    p.add_argument("--now", required=True, help="ISO-8601 date-time, e.g. 2026-12-01T09:00:00+08:00")
    p = add("retry", cmd_retry, "retry a failed instance (administrators), optionally with corrected data")
    p.add_argument("instance")
    p.add_argument("--as", dest="actor", required=True)
    p.add_argument("--data", help="corrected data: a JSON object, or @file")
    p = add("message", cmd_message, "deliver a message to an instance waiting for it")
    p.add_argument("instance")
    p.add_argument("name", help="the message name (bpmn:message name)")
    p.add_argument("--as", dest="actor", required=True)
    p.add_argument("--data", help="the message payload: a JSON object, or @file")
    p = add("cancel", cmd_cancel, "cancel a running instance (its starter, managers involved, director, admin)")
    p.add_argument("instance")
    p.add_argument("--as", dest="actor", required=True)
    p.add_argument("--reason", default="", help="why (recorded in the journal)")
    p = add("withdraw", cmd_withdraw, "withdraw your own request (its starter only), with a reason")
    p.add_argument("instance")
    p.add_argument("--as", dest="actor", required=True)
    p.add_argument("--reason", required=True, help="why (required; recorded in the journal)")


def _evidence_commands(add: Callable[..., argparse.ArgumentParser]) -> None:
    """Verify, export, show and history."""
    p = add("verify", cmd_verify, "check that journals are intact and replay to the stored state")
    p.add_argument("instance", nargs="?")
    p.add_argument("--all", action="store_true", help="every instance")
    p.add_argument("--bundle", help="verify an export bundle, with no database")
    p = add("export", cmd_export, "write instances with their journals and versions to a bundle")
    p.add_argument("instance", nargs="?")
    p.add_argument("--all", action="store_true", help="every instance")
    p.add_argument("--out", required=True, help="the bundle file to write")
    p.add_argument("--with-files", action="store_true",
                   help="also put the attached files in the bundle, so verify --bundle checks them offline")
    p.add_argument("--as", dest="actor", default=None,
                   help="export as this user sees it: confidential values they are not cleared for become hashes")
    for name, func, text in (("show", cmd_show, "show an instance: status, active tasks, data"),
                             ("history", cmd_history, "an instance's journal entries")):
        p = add(name, func, text)
        p.add_argument("instance")
        p.add_argument("--as", dest="actor", default=None,
                       help="as this user may see it (confidential values hidden); without it, "
                            "everything, as the operator running zhidu")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `zhidu` console script."""
    argv = sys.argv[1:] if argv is None else argv
    args = _parser(argv[0] if argv and not argv[0].startswith("-") else None).parse_args(argv)
    try:
        result = args.func(args)
    except Exception as err:  # never a traceback on the terminal
        from engine.errors import ZhiduError

        if isinstance(err, ZhiduError):
            out.error(err, args.json)
        else:  # last line of defence
            out.unexpected(err, args.json)
        return EXIT_ERROR
    code = 0
    if isinstance(result, Finished):
        result, code = result.value, result.exit_code
    if result is not None:
        out.result(args.command, result, args.json)
    return code


if __name__ == "__main__":
    sys.exit(main())
