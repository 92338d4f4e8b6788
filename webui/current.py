"""What the running request knows: the app's engine and the language to speak."""

from __future__ import annotations

from typing import Any

from flask import current_app, g, has_request_context, request, session

from engine.runtime import Engine
from webui.i18n import DEFAULT_LANGUAGE, LANGUAGES, normalise, translate


def engine() -> Engine:
    """The engine wired for the running app."""
    return current_app.extensions["zhidu"]


def language() -> str:
    """The signed-in user's stored choice; else the one made on this device; else what the
    browser's Accept-Language prefers of Chinese and English; else Chinese."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    stored = g.get("language")
    if stored in LANGUAGES:
        return stored
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return normalise(chosen)
    if "browser_language" not in g:  # a page asks a few hundred times; the header stays the same
        g.browser_language = browser_language()
    return g.browser_language


def browser_language() -> str:
    """Chinese or English, whichever the browser's Accept-Language ranks first."""
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE


def t(key: str, **params: Any) -> str:
    """An interface message in the request's language."""
    return translate(key, language(), **params)
