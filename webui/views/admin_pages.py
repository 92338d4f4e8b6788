"""Page data for the administrator's views: the user list, a user's page, and the forms'
field errors in the reader's language (the engine names the field and a code; this module
words it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from engine.errors import FieldError, UserNotFound
from engine.runtime import Engine
from webui.i18n import localised, translate
from webui.views import admin_text  # noqa: F401  (adds the administrator pages' messages)

MIN_PASSWORD = 8


@dataclass(frozen=True)
class UserForm:
    """What the administrator typed, kept to show again beside the errors."""

    username: str = ""
    name: str = ""
    department: str = ""
    roles: tuple[str, ...] = ()
    new_hire: bool = False
    password: str = field(default="", repr=False)

    @classmethod
    def read(cls, form: Mapping[str, Any]) -> "UserForm":
        """The submitted fields (`form` is a werkzeug MultiDict: roles may repeat)."""
        roles = tuple(r for r in form.getlist("roles") if r) if hasattr(form, "getlist") else ()
        return cls(str(form.get("username", "")).strip(), str(form.get("name", "")).strip(),
                   str(form.get("department", "")), roles, form.get("new_hire") == "true",
                   str(form.get("password", "")))


def new_user_problems(form: UserForm) -> list[FieldError]:
    """What the page asks beyond the engine: roles (or "new hire") and a long enough password."""
    problems = []
    if not form.roles and not form.new_hire:
        problems.append(FieldError("roles", "choose at least one role", "roles_required"))
    problems += password_problems(form.password)
    return problems


def password_problems(password: str) -> list[FieldError]:
    if len(password) < MIN_PASSWORD:
        return [FieldError("password", "password too short", "password_short")]
    return []


def worded(errors: list[FieldError], lang: str) -> dict[str, str]:
    """field -> message in `lang` (the first error of each field)."""
    shown: dict[str, str] = {}
    for error in errors:
        shown.setdefault(error.field, translate(f"admin.error.{error.code}", lang, n=MIN_PASSWORD))
    return shown


def users_page(engine: Engine, actor: str, lang: str, form: UserForm | None = None,
               errors: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Every user with roles and department by name; the add form as typed, with its errors."""
    organisation = engine.organisation()
    return {"people": engine.administered_users(actor), "organisation": organisation,
            "role_names": {k: localised(v, lang, k) for k, v in organisation.roles},
            "department_names": {k: localised(v, lang, k) for k, v in organisation.departments},
            "form": form or UserForm(), "errors": dict(errors or {}), "min_password": MIN_PASSWORD}


def user_page(engine: Engine, actor: str, username: str, lang: str, form: UserForm | None = None,
              errors: Mapping[str, str] | None = None) -> dict[str, Any]:
    """One user's details to edit, their password and their status. Raises: UserNotFound."""
    page = users_page(engine, actor, lang)
    person = next((p for p in page["people"] if p.username == username), None)
    if person is None:
        raise UserNotFound(f"unknown user {username!r}")
    shown = form or UserForm(person.username, person.name, person.department or "", tuple(person.roles))
    return {**page, "person": person, "form": shown, "errors": dict(errors or {})}
