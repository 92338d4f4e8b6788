"""Files for a procedure's start form from the command line: `zhidu start KEY --file FIELD=PATH`
(issue 16). A start form may ask for evidence (a certificate, a scan) as the start page does;
the CLI checks and stores each file like `complete --file`, only for someone who may start it."""

from __future__ import annotations

from typing import Any, Iterable

from engine.errors import InvalidInput, PermissionDenied, ProcessNotFound
from engine.files import Upload


def start_uploads(engine: Any, key: str, actor: str, uploads: Iterable[Upload]) -> dict[str, Any]:
    """Check the files against the start form of `key` and store them; field -> reference.

    Raises:
        ProcessNotFound, PermissionDenied (`actor` may not start it), InvalidInput (its start
        form takes no files), FormInvalid (a file its field refuses; nothing is stored then).
    """
    process = next((p for p in engine.startable(actor) if p.key == key), None)
    if process is None:
        if key in {p.key for p in engine.processes()}:
            raise PermissionDenied(f"{actor} may not start {key}")
        raise ProcessNotFound(f"no procedure {key!r}")
    if process.start_form is None:
        raise InvalidInput(f"{key} has no start form to attach files to")
    return engine.store_uploads(process.start_form.key, process.start_form.schema, uploads)
