"""Reading owner-written YAML (forms, the catalog, the organisation) without letting it expand.

Process owners post form definitions to the preview and deploy them; a few hundred bytes of
nested YAML aliases ("billion laughs") expand into billions of nodes and hold the server for
as long as it takes. zhidu's definitions have no need for anchors, aliases or merge keys, so
the loader refuses them outright instead of bounding the expansion; it also bounds the text's
size and its nesting depth (PyYAML composes recursively).
"""

from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any

import yaml

MAX_DEFINITION_BYTES = 512 * 1024
MAX_DEPTH = 50


class YamlRefused(yaml.YAMLError):
    """A definition uses a YAML feature zhidu refuses; the message says which and where."""


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: deploys parse hundreds of files
_OPENING = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_CLOSING = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


def _refuse_expansion(text: str) -> None:
    """Walk the parser's events (no nodes built) and refuse anchors, aliases and deep nesting."""
    depth = 0
    try:
        events = list(yaml.parse(text, Loader=_Loader))
    except yaml.YAMLError as err:
        if "nesting depth" in str(err):  # libyaml's own bound (1,000) is met before ours
            raise YamlRefused(f"the YAML is nested more than {MAX_DEPTH} levels deep") from None
        raise
    for event in events:
        line = event.start_mark.line + 1 if event.start_mark else "?"
        if isinstance(event, yaml.AliasEvent):
            raise YamlRefused(f"line {line}: YAML aliases (*{event.anchor}) are not allowed in definitions")
        if getattr(event, "anchor", None):
            raise YamlRefused(f"line {line}: YAML anchors (&{event.anchor}) are not allowed in definitions")
        depth += isinstance(event, _OPENING) - isinstance(event, _CLOSING)
        if depth > MAX_DEPTH:
            raise YamlRefused(f"line {line}: the YAML is nested more than {MAX_DEPTH} levels deep")


def load_definition(text: str) -> Any:
    """Parse one definition document, refusing aliases, anchors and oversized input.

    Deploying reads every form of every procedure, and the same texts again at every deploy, so
    parsed documents are kept by their text (a copy is handed out: callers may change it).

    Raises:
        yaml.YAMLError: the text is not YAML, or is refused (`YamlRefused`).
    """
    if len(text.encode("utf-8", errors="replace")) > MAX_DEFINITION_BYTES:
        raise YamlRefused(f"the definition is larger than {MAX_DEFINITION_BYTES // 1024} KB")
    return copy.deepcopy(_parsed(text))


@lru_cache(maxsize=1024)
def _parsed(text: str) -> Any:
    _refuse_expansion(text)
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader; nothing can expand any more
