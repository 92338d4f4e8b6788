"""Reading owner-written YAML (forms, the catalog, the organisation) without letting it expand.

Process owners post form definitions to the preview and deploy them; a few hundred bytes of
nested YAML aliases ("billion laughs") expand into billions of nodes and hold the server for
as long as it takes. zhidu's definitions have no need for anchors, aliases or merge keys, so
the loader refuses them outright instead of bounding the expansion; it also bounds the text's
size and its nesting depth (PyYAML composes recursively).
"""

from __future__ import annotations

from typing import Any

import yaml

MAX_DEFINITION_BYTES = 512 * 1024
MAX_DEPTH = 50


class YamlRefused(yaml.YAMLError):
    """A definition uses a YAML feature zhidu refuses; the message says which and where."""


class _DefinitionLoader(yaml.SafeLoader):
    """SafeLoader that refuses anchors and aliases and bounds nesting."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        line = event.start_mark.line + 1 if event.start_mark else "?"
        if isinstance(event, yaml.AliasEvent):
            raise YamlRefused(f"line {line}: YAML aliases (*{event.anchor}) are not allowed in definitions")
        if getattr(event, "anchor", None):
            raise YamlRefused(f"line {line}: YAML anchors (&{event.anchor}) are not allowed in definitions")
        self._depth = getattr(self, "_depth", 0) + 1
        try:
            if self._depth > MAX_DEPTH:
                raise YamlRefused(f"line {line}: the YAML is nested more than {MAX_DEPTH} levels deep")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def load_definition(text: str) -> Any:
    """Parse one definition document, refusing aliases, anchors and oversized input.

    Raises:
        yaml.YAMLError: the text is not YAML, or is refused (`YamlRefused`).
    """
    if len(text.encode("utf-8", errors="replace")) > MAX_DEFINITION_BYTES:
        raise YamlRefused(f"the definition is larger than {MAX_DEFINITION_BYTES // 1024} KB")
    loader = _DefinitionLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()
