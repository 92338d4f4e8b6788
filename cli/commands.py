"""What each core `zhidu` command does (cli/main.py parses the call and prints the result).

A call imports what its command needs when it runs: the wiring (YAML, the engine, SQLAlchemy), the
engine's errors and the other command modules are imported inside the functions that use them, so
`zhidu tasks`, which answers from the rows and the cache (bootstrap/task_list.py), imports none.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bootstrap.wiring import Services
    from engine.files import Upload

EXIT_ERROR = 1  # what a call that failed, or found something unsound, exits with


def build(**options: Any) -> Services:
    """bootstrap/wiring.py's `build`: the engine over the configured database."""
    from bootstrap import wiring

    return wiring.build(**options)


def parse_data(text: str | None) -> dict[str, Any]:
    """The `--data` argument: a JSON object, inline or `@file`.

    Raises:
        InvalidInput: not valid JSON or not an object.
    """
    from engine.errors import InvalidInput

    if text is None:
        return {}
    if text.startswith("@"):
        try:
            text = Path(text[1:]).read_text(encoding="utf-8")
        except OSError as err:
            raise InvalidInput(f"--data file cannot be read: {err.strerror}: {text[1:]}") from err
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise InvalidInput(f"--data is not valid JSON: {err.msg} at line {err.lineno} column {err.colno}") from err
    if not isinstance(value, dict):
        raise InvalidInput("--data must be a JSON object, e.g. '{\"field\": \"value\"}'")
    return value


def cmd_init(args: argparse.Namespace) -> Any:
    from bootstrap.wiring import DEMO_PASSWORD, bundles_from_paths, demo_organisation, initialise

    services = initialise()
    deployed = services.engine.deploy(bundles_from_paths([]), actor="zhidu init")
    users = services.engine.load_organisation(demo_organisation()) if args.demo else 0
    return {"database": services.url, "deployed": [d.to_dict() for d in deployed], "demo_users": users,
            "demo_password": DEMO_PASSWORD if args.demo else None}


def cmd_deploy(args: argparse.Namespace) -> Any:
    from bootstrap.wiring import bundles_from_paths

    results = build().engine.deploy(bundles_from_paths(args.paths), actor=args.actor, comment=args.comment)
    return [r.to_dict() for r in results]


def cmd_processes(args: argparse.Namespace) -> Any:
    return [p.to_dict() for p in build().engine.processes()]


def cmd_users(args: argparse.Namespace) -> Any:
    return [u.to_dict() for u in build().engine.users()]


def cmd_start(args: argparse.Namespace) -> Any:
    data, engine = parse_data(args.data), build().engine
    if args.files:  # like complete --file: each file checked against the start form and stored first
        from cli.start_files import start_uploads
        data.update(start_uploads(engine, args.key, args.actor, [parse_file(text) for text in args.files]))
    return engine.start(args.key, args.actor, data).to_dict()


def cmd_tasks(args: argparse.Namespace) -> Any:
    from bootstrap.task_list import tasks_for  # rows and cached forms, without the engine runtime

    found = tasks_for(args.actor)
    return found if found is not None else [t.to_dict() for t in build().engine.tasks_for(args.actor)]


def cmd_claim(args: argparse.Namespace) -> Any:
    return build().engine.claim(args.task, args.actor).to_dict()


def cmd_release(args: argparse.Namespace) -> Any:
    return build().engine.release(args.task, args.actor).to_dict()


def cmd_complete(args: argparse.Namespace) -> Any:
    from engine.errors import InvalidInput

    data = parse_data(args.data)
    engine = build().engine
    if args.files:  # each file is checked against its field and stored before the task completes
        form = engine.task(args.task, args.actor).form
        if form is None:
            raise InvalidInput(f"task {args.task} has no form to attach files to")
        data.update(engine.store_uploads(form.key, form.schema, [parse_file(text) for text in args.files]))
    return engine.complete_task(args.task, args.actor, data).to_dict()


def parse_file(text: str) -> Upload:
    """One `--file FIELD=PATH`: the file at PATH, for the attachment field FIELD.

    Raises:
        InvalidInput: not FIELD=PATH, or the file cannot be read.
    """
    from engine.errors import InvalidInput
    from engine.files import Upload

    field, sep, path = text.partition("=")
    if not sep or not field or not path:
        raise InvalidInput(f"--file must be FIELD=PATH, e.g. evidence=./call.pdf (got {text!r})")
    try:
        content = Path(path).read_bytes()
    except OSError as err:
        raise InvalidInput(f"--file {field}: cannot be read: {err.strerror}: {path}") from err
    return Upload(field, Path(path).name, content)


def cmd_show(args: argparse.Namespace) -> Any:
    from engine.permissions import OPERATOR_NAME

    # With --as, as that user sees it (refused if they may not, confidential values hidden);
    # without, as the operator: everything.
    return build().engine.show(args.instance, args.actor or OPERATOR_NAME).to_dict()


def cmd_history(args: argparse.Namespace) -> Any:
    from engine.permissions import OPERATOR_NAME

    entries = build().engine.history(args.instance, args.actor or OPERATOR_NAME)
    return [e.to_dict() for e in entries]


def cmd_fire_timers(args: argparse.Namespace) -> Any:
    from bootstrap.wiring import time_zone
    from engine.clock import FixedClock, local_moment
    from engine.errors import InvalidInput

    zone = time_zone()
    try:  # without an offset, --now is wall-clock time in the organisation's zone
        now = local_moment(args.now, zone)
    except ValueError as err:
        raise InvalidInput(f"--now is not an ISO-8601 date-time: {args.now!r}") from err
    engine = build(clock=FixedClock(now, zone)).engine
    started = engine.start_due_schedules()
    fired = engine.fire_due_timers()
    return {"now": FixedClock(now).now().isoformat(), "started": started, "fired": [f.to_dict() for f in fired]}


def cmd_retry(args: argparse.Namespace) -> Any:
    return build().engine.retry(args.instance, args.actor, parse_data(args.data)).to_dict()


def cmd_message(args: argparse.Namespace) -> Any:
    return build().engine.correlate_message(args.instance, args.name, args.actor, parse_data(args.data)).to_dict()


def cmd_cancel(args: argparse.Namespace) -> Any:
    return build().engine.cancel(args.instance, args.actor, args.reason).to_dict()


def cmd_withdraw(args: argparse.Namespace) -> Any:
    return build().engine.withdraw(args.instance, args.actor, args.reason).to_dict()


def cmd_verify(args: argparse.Namespace) -> Any:
    from engine.commands.offline import verify_bundle
    from engine.audit.verify import Verdict
    from engine.errors import InvalidInput

    if args.bundle:
        verdicts = verify_bundle(_read_json_file(args.bundle, "--bundle"))
    elif args.all:
        engine = build().engine
        verdicts = list(engine.verify_all())
        broken = engine.verify_organisation()
        if broken is not None:
            verdicts.append(Verdict("organisation", "tampered", broken,
                                    reason=f"the organisation journal's hash chain breaks at entry {broken}"))
    elif args.instance:
        verdicts = [build().engine.verify(args.instance)]
    else:
        raise InvalidInput("name an INSTANCE, or give --all or --bundle FILE")
    result = {"verdicts": [v.to_dict() for v in verdicts], "ok": sum(v.status == "ok" for v in verdicts),
              "redacted": sum(v.status == "redacted" for v in verdicts), "total": len(verdicts)}
    return Finished(result, 0 if all(v.sound for v in verdicts) else EXIT_ERROR)


def cmd_export(args: argparse.Namespace) -> Any:
    from bootstrap.json_text import strict_json
    from engine.errors import InvalidInput

    if not args.all and not args.instance:
        raise InvalidInput("name an INSTANCE or give --all")
    bundle = build().engine.export(None if args.all else [args.instance], args.actor, with_files=args.with_files)
    try:
        Path(args.out).write_text(strict_json(bundle, indent=1), encoding="utf-8")
    except OSError as err:
        raise InvalidInput(f"cannot write {args.out}: {err.strerror}") from err
    written = {"out": args.out, "instances": len(bundle["instances"]), "versions": len(bundle["versions"])}
    return {**written, "files": len(bundle["files"])} if args.with_files else written


def _read_json_file(path: str, option: str) -> Any:
    from engine.errors import InvalidInput

    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as err:
        raise InvalidInput(f"{option} file cannot be read: {err.strerror}: {path}") from err
    except json.JSONDecodeError as err:
        raise InvalidInput(f"{option} file is not valid JSON: {err.msg} at line {err.lineno}") from err


class Finished:
    """A result printed as usual but with a non-zero exit status (e.g. verification failed)."""

    def __init__(self, value: Any, exit_code: int):
        self.value, self.exit_code = value, exit_code


def cmd_serve(args: argparse.Namespace) -> Any:
    from engine.errors import InvalidInput
    from webui.server import serve

    if not 1 <= args.workers <= 64:
        raise InvalidInput("--workers must be a whole number from 1 to 64")
    serve(args.host, args.port, worker=not args.no_worker, processes=args.workers)
    return None


def cmd_worker(args: argparse.Namespace) -> Any:
    from bootstrap.worker import run_worker

    run_worker(args.interval, once=args.once)
    return None
