"""Each person's absence page ("请假代理"): record an absence with a substitute, see one's own and
those one stands in for, end one early. The engine checks who may record whose absence and words
nothing; refusals come back beside their fields in zh and en (absences_text.py).
"""

from __future__ import annotations

from typing import Any, Mapping

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from engine.errors import FieldError
from webui.current import engine, language, t
from webui.views import absences_text  # noqa: F401  (adds the absence page's messages)
from webui.views.form_fields import error_texts

bp = Blueprint("absences", __name__, url_prefix="/absences")
FIELDS = ("starts_on", "ends_on", "substitute")


def _page(form: Mapping[str, str] | None = None, errors: list[FieldError] | None = None) -> str:
    listed = engine().absences(g.user.username)
    people = [u for u in engine().users() if u.active and u.username != g.user.username]
    today = engine().clock.now().astimezone(engine().clock.zone).date().isoformat()
    return render_template("absences/index.html", mine=listed.mine, covering=listed.covering, team=listed.team,
                           people=sorted(people, key=lambda u: u.name), today=today,
                           form=form or {"starts_on": today, "ends_on": today, "substitute": ""},
                           errors=error_texts(errors or [], language()))


@bp.get("/")
def index():
    """My absences, whom I stand in for, and a form to record an absence."""
    return _page()


@bp.post("/")
def record():
    """Record an absence of mine; on refusal the form comes back with what was entered."""
    form: dict[str, Any] = {name: request.form.get(name, "").strip() for name in FIELDS}
    g.form_invalid = lambda errors: _page(form, errors)
    made = engine().record_absence(g.user.username, form["starts_on"], form["ends_on"], form["substitute"],
                                   g.user.username)
    flash(t("absences.recorded", from_day=made.starts_on.isoformat(), to_day=made.ends_on.isoformat(),
            name=made.substitute_name), "success")
    return redirect(url_for("absences.index"))


@bp.post("/<absence_id>/end")
def end(absence_id: str):
    """End one of my absences now (one still to come is called off)."""
    engine().end_absence(absence_id, g.user.username)
    flash(t("absences.ended"), "success")
    return redirect(url_for("absences.index"))
