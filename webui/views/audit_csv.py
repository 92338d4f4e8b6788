"""The auditor's search as CSV: the same filters as the search page, every matching instance
(not one page), names instead of usernames, times in the organisation's zone. UTF-8 with a
byte order mark, so Excel opens the Chinese text correctly with a double click."""

from __future__ import annotations

import csv
import io
from typing import Any, Mapping
from zoneinfo import ZoneInfo

from engine.runtime import Engine
from engine.views import InstanceView, UserView
from webui.i18n import localised, translate
from webui.views.audit_pages import search_page
from webui.views.pages import steps

BOM = "\ufeff"
BATCH = 500
MAX_ROWS = 20_000  # a spreadsheet, not a backup: the export bundle is the complete record
COLUMNS = ("col.instance", "col.process", "start.version", "col.status", "instance.started_by",
           "col.started", "col.step", "audit.csv_updated")


def search_csv(engine: Engine, user: UserView, args: Mapping[str, str], zone: ZoneInfo,
               lang: str) -> tuple[str, str]:
    """(file name, CSV text) of every instance the search `args` finds (none when the filters
    are invalid: the header row only)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([translate(c, lang) for c in COLUMNS])
    number, written = 1, 0
    while written < MAX_ROWS:
        page = search_page(engine, user, {**args, "page": str(number)}, zone, lang, BATCH)
        found = page["found"]
        if found is None:
            break
        for instance in found.instances:
            writer.writerow([_cell(text) for text in _row(instance, page, zone, lang)])
        written += len(found.instances)
        if number >= found.pages:
            break
        number += 1
    return "zhidu-audit.csv", BOM + out.getvalue()


def _row(instance: InstanceView, page: Mapping[str, Any], zone: ZoneInfo, lang: str) -> list[str]:
    people, names = page["people"], page["names"]
    return [instance.id, localised(names.get(instance.process_key), lang, instance.process_key),
            str(instance.version), translate(f"status.{instance.status}", lang),
            people.get(instance.started_by or "", instance.started_by or ""),
            _local(instance.started_at, zone), steps(instance.current_step, lang), _local(instance.updated_at, zone)]


def _cell(text: str) -> str:
    """`text` that a spreadsheet shows and never runs as a formula (=, +, -, @ lead a formula)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _local(moment, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else ""
