"""Typed domain errors. The web layer and the CLI map them to messages in one place."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class ZhiduError(Exception):
    """Base of every error zhidu reports to a user."""

    code = "error"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict:
        return {"error": self.code, "message": self.message}


class NotFound(ZhiduError):
    code = "not_found"


class ProcessNotFound(NotFound):
    code = "process_not_found"


class InstanceNotFound(NotFound):
    code = "instance_not_found"


class TaskNotFound(NotFound):
    code = "task_not_found"


class UserNotFound(NotFound):
    code = "user_not_found"


class FormNotFound(NotFound):
    code = "form_not_found"


class PermissionDenied(ZhiduError):
    code = "permission_denied"


class DutiesSeparated(PermissionDenied):
    """Separation of duties refuses a person a task (engine/commands/duties.py): it concerns them
    (`rule` notBy), or they did or hold another step of the case that must be done by someone
    else (`rule` notSameAs, that step's title in `step_title`). `texts` words it in Chinese and
    English for the person refused (or the manager whose reassignment was refused); `message` is
    the English one."""

    code = "separation_of_duties"

    def __init__(self, texts: dict[str, str], rule: str, person: str, step: str | None = None,
                 step_title: str | None = None):
        super().__init__(texts["en"])
        self.texts, self.rule, self.person, self.step, self.step_title = texts, rule, person, step, step_title

    def text(self, lang: str) -> str:
        """The message in `lang` (zh or en; English for any other)."""
        return self.texts.get(lang) or self.texts["en"]

    def to_dict(self) -> dict:
        return {**super().to_dict(), "rule": self.rule, "texts": dict(self.texts)}


class TaskNotReady(ZhiduError):
    code = "task_not_ready"


class TaskAlreadyClaimed(ZhiduError):
    code = "task_already_claimed"


class TaskNotClaimed(ZhiduError):
    code = "task_not_claimed"


class ConcurrentUpdate(ZhiduError):
    code = "concurrent_update"


class InvalidInput(ZhiduError):
    """Input that is malformed before any domain rule applies (bad JSON, bad argument)."""

    code = "invalid_input"


@dataclass(frozen=True)
class FieldError:
    """One failing field of a form submission."""

    field: str
    message: str
    code: str = ""
    params: dict = field(default_factory=dict, hash=False, compare=False)


class UserInvalid(InvalidInput):
    """A user's details that cannot be stored, field by field (`code` of each: required,
    username_format, username_taken, unknown_role, unknown_department, name_too_long)."""

    def __init__(self, field_errors: list[FieldError]):
        self.field_errors = field_errors
        super().__init__("; ".join(e.message for e in field_errors))

    def to_dict(self) -> dict:
        return {**super().to_dict(), "fields": [{"field": e.field, "message": e.message, "code": e.code}
                                                 for e in self.field_errors]}


class FormInvalid(ZhiduError):
    code = "form_invalid"

    def __init__(self, form_key: str, field_errors: list[FieldError]):
        self.form_key = form_key
        self.field_errors = field_errors
        listed = "; ".join(f"{e.field}: {e.message}" for e in field_errors)
        super().__init__(f"form {form_key} is invalid: {listed}")

    def to_dict(self) -> dict:
        return {
            **super().to_dict(),
            "form": self.form_key,
            "fields": [
                {"field": e.field, "message": e.message, "code": e.code} for e in self.field_errors
            ],
        }


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a definition file."""

    file: str
    reason: str
    element: str | None = None
    line: int | None = None
    severity: str = "error"

    def describe(self) -> str:
        where = self.file
        if self.line:
            where += f":{self.line}"
        if self.element:
            where += f" [{self.element}]"
        return f"{where}: {self.reason}"


class DefinitionInvalid(ZhiduError):
    code = "definition_invalid"

    def __init__(self, problems: list[Problem]):
        self.problems = [p for p in problems if p.severity == "error"] or problems
        super().__init__("; ".join(p.describe() for p in self.problems))

    def to_dict(self) -> dict:
        return {
            **super().to_dict(),
            "problems": [
                {"file": p.file, "line": p.line, "element": p.element, "reason": p.reason}
                for p in self.problems
            ],
        }


class ScriptFailed(ZhiduError):
    code = "script_failed"

    def __init__(self, element: str, line: int | None, reason: str):
        self.element = element
        self.line = line
        self.reason = reason
        at = f" line {line}" if line else ""
        super().__init__(f"script in {element}{at} failed: {reason}")

    def to_dict(self) -> dict:
        return {**super().to_dict(), "element": self.element, "line": self.line}


class WarningsNotAccepted(ZhiduError):
    """A deploy whose validation warns (a step nobody can finish from, say) was not confirmed
    with a reason; nothing was deployed."""

    code = "warnings_not_accepted"

    def __init__(self, warnings: list[Problem]):
        self.warnings = warnings
        super().__init__("deploying despite these warnings needs a reason: "
                         + "; ".join(p.describe() for p in warnings))


class MigrationRefused(ZhiduError):
    """The instance cannot move; `reasons` say why, in words an owner can act on."""

    code = "migration_refused"

    def __init__(self, reasons: list[str]):
        super().__init__("; ".join(reasons))
        self.reasons = reasons


class Divergence(Exception):
    """Replay disagrees with the record (verify turns it into a verdict, not a user error)."""

    def __init__(self, seq: int | None, element: str | None, field_name: str | None,
                 recorded: Any, replayed: Any, reason: str):
        super().__init__(reason)
        self.seq, self.element, self.field = seq, element, field_name
        self.recorded, self.replayed, self.reason = recorded, replayed, reason


class StateFormatUnknown(ZhiduError):
    """A stored instance state is in a format this zhidu cannot read (newer, or not zhidu's)."""

    code = "state_format_unknown"

    def __init__(self, found: Any):
        super().__init__(f"the stored instance state has format {found!r}, which this version of zhidu "
                         f"cannot read")
        self.found = found


class TokenInvalid(ZhiduError):
    """An API token that zhidu did not issue, or that is revoked or expired, or whose user is
    deactivated: the caller is not authenticated."""

    code = "token_invalid"


class RateLimited(ZhiduError):
    """Too many requests with one API token in the current window; `retry_after` seconds until
    the next window opens."""

    code = "rate_limited"

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after

    def to_dict(self) -> dict:
        return {**super().to_dict(), "retry_after": self.retry_after}
