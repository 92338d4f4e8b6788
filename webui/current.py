"""What the running request knows: the app's engine and the session's language."""

from __future__ import annotations

from typing import Any

from flask import current_app, session

from engine.runtime import Engine
from webui.i18n import DEFAULT_LANGUAGE, normalise, translate


def engine() -> Engine:
    """The engine wired for the running app."""
    return current_app.extensions["zhidu"]


def language() -> str:
    """The session's language, Chinese unless the user switched."""
    return normalise(session.get("lang", DEFAULT_LANGUAGE))


def t(key: str, **params: Any) -> str:
    """An interface message in the session's language."""
    return translate(key, language(), **params)
