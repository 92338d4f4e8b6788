"""How the CLI prints results and errors, for people and (with --json) for scripts."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

from bootstrap.json_text import strict_json

if TYPE_CHECKING:
    from engine.errors import ZhiduError


def result(command: str, value: Any, as_json: bool) -> None:
    if as_json:
        print(strict_json(value, indent=2))
        return
    printer = _PRINTERS.get(command)
    if printer is None:
        from cli.admin import PRINTERS as admin_printers

        printer = admin_printers.get(command)
    print(printer(value) if printer else strict_json(value, indent=2))


def error(err: ZhiduError, as_json: bool) -> None:
    if as_json:
        print(strict_json(err.to_dict(), indent=2))
    else:
        print(f"error: {err.message}", file=sys.stderr)


def unexpected(err: Exception, as_json: bool) -> None:
    message = f"internal error ({type(err).__name__}): {str(err).splitlines()[0] if str(err) else ''}"
    if as_json:
        print(json.dumps({"error": "internal", "message": message}, ensure_ascii=False))
    else:
        print(f"error: {message}", file=sys.stderr)


def _tasks(tasks: list[dict]) -> str:
    if not tasks:
        return "no tasks"
    lines = []
    for t in tasks:
        who = f"claimed by {t['claimed_by']}" if t["claimed_by"] else "offered to " + ", ".join(t["candidates"])
        due = f" due {t['due_at']}" if t["due_at"] else ""
        lines.append(f"{t['id']}  {t['process_key']}  {t['title']}  ({who}){due}")
    return "\n".join(lines)


def _instance(i: dict) -> str:
    lines = [f"instance {i['id']}  {i['process_key']} v{i['version']}  {i['status']}"]
    if i.get("incident"):
        lines.append(f"incident: {i['incident']}")
    for t in i["active_tasks"]:
        who = t["claimed_by"] or ", ".join(t["candidates"])
        lines.append(f"  task {t['id']}  {t['title']}  [{who}]")
    lines.append("data: " + strict_json(i["data"], sort_keys=True))
    return "\n".join(lines)


def _history(entries: list[dict]) -> str:
    return "\n".join(f"{e['seq']:>4} {e['at']} {e['kind']:<18} {e['actor'] or '-':<12} "
                     f"{strict_json(e['payload'])[:160]}" for e in entries)


def _processes(procs: list[dict]) -> str:
    return "\n".join(f"{p['key']}  v{p['version']}  {p['name'].get('zh', '')} / {p['name'].get('en', '')}  "
                     f"starters: {', '.join(p['starters']) or 'anyone'}" for p in procs) or "no processes"


def _users(users: list[dict]) -> str:
    return "\n".join(f"{u['username']:<12} {u['name']:<8} {u['department'] or '-':<20} {', '.join(u['roles'])}"
                     for u in users)


def _deploy(results: list[dict]) -> str:
    return "\n".join(f"{r['key']}  v{r['version']}  {'deployed' if r['created'] else 'unchanged'}" for r in results)


def _init(value: dict) -> str:
    text = f"database {value['database']} ready\n" + _deploy(value["deployed"])
    if value["demo_users"]:
        text += f"\n{value['demo_users']} demo users loaded (password: {value['demo_password']})"
    return text


def _fired(value: dict) -> str:
    lines = [f"at {value['now']}: started {len(value['started'])}, woke {len(value['fired'])} instance(s)"]
    lines += [f"  started {i}" for i in value["started"]]
    lines += [f"  {f['instance_id']}  {f['process_key']}  fired {', '.join(f['elements'])}  -> {f['status']}"
              for f in value["fired"]]
    return "\n".join(lines)


def _verify(value: dict) -> str:
    lines = []
    for v in value["verdicts"]:
        line = f"{v['instance_id']}  {v['verdict']}"
        if v["verdict"] == "redacted":  # chain ok, all but the hidden values replayed
            line += f"  {v['reason']}"
        elif v["verdict"] != "ok":
            line += f"  at entry {v['entry']}  element {v['element']}  {v['field']}: {v['reason']}"
            line += f" (recorded {strict_json(v['recorded'])[:80]},"
            line += f" replayed {strict_json(v['replayed'])[:80]})"
        lines.append(line)
    redacted = value.get("redacted") or 0
    lines.append(f"{value['ok']}/{value['total']} ok" + (f", {redacted} redacted (chain ok, hidden values not "
                                                          f"replayable)" if redacted else ""))
    return "\n".join(lines)


_PRINTERS = {
    "tasks": _tasks, "start": lambda i: i["id"], "show": _instance, "complete": _instance,
    "history": _history, "verify": _verify,
    "export": lambda v: f"wrote {v['instances']} instance(s) and {v['versions']} version(s) to {v['out']}", "fire-timers": _fired, "retry": _instance, "cancel": _instance, "withdraw": _instance, "message": _instance, "processes": _processes, "users": _users, "deploy": _deploy, "init": _init,
    "claim": lambda t: f"claimed {t['id']} ({t['title']})",
    "release": lambda t: f"released {t['id']} ({t['title']})",
}
