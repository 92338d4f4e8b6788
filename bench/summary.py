"""The one table `make bench` ends with: figure, value, goal, met, and the ratio to plain SpiffWorkflow.

Each benchmark hands its headline figures here with `record` as it prints them; `python -m bench`
prints `table()` after the last one. The goals are issue 17's. The ratio column compares a figure
that is a time per piece of work (a command, a request, a fired timer, a CLI call) with the time
plain SpiffWorkflow takes for one complaint command in memory, measured by
bench.complaint_throughput in the same run: plain ms / figure ms, so 1.0 means as quick as plain
SpiffWorkflow with no storage at all, 0.1 means ten times its time.

A benchmark whose file another helper owns can be read from its printed output instead:
`read_output` knows the lines of those (bench.audit's replay speed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NO_VALUE = float("nan")


@dataclass(frozen=True)
class Figure:
    """One row: `value` in `unit`; `goal` a limit (numbers) or the expected word (text)."""

    name: str
    value: float | str
    unit: str
    goal: float | str | None = None
    higher_is_better: bool = False
    ms_per_piece: float | None = None  # the figure as milliseconds per piece of work, for the ratio

    def met(self) -> str:
        if self.goal is None:
            return ""
        if isinstance(self.goal, str) or isinstance(self.value, str):
            return "yes" if str(self.value) == str(self.goal) else "NO"
        if self.value != self.value:  # nan: not measured
            return "?"
        ok = self.value >= self.goal if self.higher_is_better else self.value <= self.goal
        return "yes" if ok else "NO"


_figures: dict[str, Figure] = {}
_plain: dict[str, float] = {}


def record(name: str, value: float | str, unit: str, goal: float | str | None = None, *,
           higher_is_better: bool = False, ms_per_piece: float | None = None) -> None:
    """Hand a figure to the summary (a second figure of the same name replaces the first)."""
    _figures[name] = Figure(name, value, unit, goal, higher_is_better, ms_per_piece)


def record_plain_command(ms: float) -> None:
    """Plain SpiffWorkflow's time for one complaint command in memory, the ratios' yardstick."""
    _plain["command_ms"] = ms


def reset() -> None:
    _figures.clear()
    _plain.clear()


def figures() -> list[Figure]:
    return list(_figures.values())


def ratio(figure: Figure) -> str:
    """plain SpiffWorkflow command ms / the figure's ms per piece, or '' when not comparable."""
    plain = _plain.get("command_ms")
    if plain is None or not figure.ms_per_piece or figure.ms_per_piece != figure.ms_per_piece:
        return ""
    return f"{plain / figure.ms_per_piece:.3f}"


def _value(figure: Figure) -> str:
    if isinstance(figure.value, str):
        return figure.value
    if figure.value != figure.value:
        return "n/a"
    size = abs(figure.value)
    digits = 0 if float(figure.value).is_integer() or size >= 1000 else 2 if size < 10 else 1
    return f"{figure.value:,.{digits}f} {figure.unit}".strip()


def _goal(figure: Figure) -> str:
    if figure.goal is None:
        return ""
    if isinstance(figure.goal, str):
        return figure.goal
    return f"{'>=' if figure.higher_is_better else '<='} {figure.goal:,g} {figure.unit}".strip()


def table() -> str:
    """The summary as aligned text, one row per figure, with a line on the yardstick."""
    rows = [("figure", "value", "goal", "met", "vs plain Spiff")]
    rows += [(f.name, _value(f), _goal(f), f.met(), ratio(f)) for f in _figures.values()]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    plain = _plain.get("command_ms")
    lines.append(f"vs plain Spiff = plain SpiffWorkflow's ms per complaint command in memory in this run "
                 f"({'not measured' if plain is None else f'{plain:.3f} ms'}) / the figure's ms per piece of work")
    return "\n".join(lines)


_REPLAY = re.compile(r"replay speed: median ([\d,.]+) entries/s(?:, ([\d.]+) ms per command)?")


def read_output(module: str, output: str) -> None:
    """Record the figures of a benchmark that prints but does not call `record` (bench.audit)."""
    if module != "audit":
        return
    found = _REPLAY.search(output)
    if found:
        per_command = float(found.group(2)) if found.group(2) else None
        record("replay (journal entries/s)", float(found.group(1).replace(",", "")), "entries/s", 5000,
               higher_is_better=True, ms_per_piece=per_command)
    else:
        record("replay (journal entries/s)", _NO_VALUE, "entries/s", 5000, higher_is_better=True)
