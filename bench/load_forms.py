"""What the load test's users type: a valid value for every field of the forms of the three
procedures they work on, and the reading of a form's controls from its page (no HTML library:
the pages are zhidu's own templates, webui/templates/macros/form.html).

Pure standard library, so the Locust users (bench/load_locustfile.py) and the tests can both
import it.
"""

from __future__ import annotations

import random
import re
from html import unescape

PROCEDURES = ("complaint_handling", "inquiry_handling", "suggestion_box")
DEPARTMENTS = ["marketing", "customer-service", "data-analysis", "project-management"]
TEXT = ["已电话联系客户并说明情况", "Called the customer back and explained", "按流程处理完毕"]

# A valid value (chosen at random) for every field of the three procedures' forms, by field name.
VALUES: dict[str, list[str]] = {
    # start forms
    "customer_name": ["王女士", "张先生", "Li Lei"], "contact": ["13800000000", "li.lei@example.com"],
    "channel": ["phone", "email", "online", "visit"], "category": ["product", "service", "billing", "delivery"],
    "description": ["快递三次未送达", "The hotline did not answer"], "severity": ["low", "medium", "high"],
    "topic": ["product", "price", "service", "campaign"], "question": ["套餐价格是多少？", "When does the campaign end?"],
    "department": DEPARTMENTS, "title": ["午间增加值班", "A shared glossary"], "content": TEXT,
    "expected_benefit": ["响应更快", ""],
    # complaint handling
    "details": TEXT, "customer_expectation": ["回电道歉", ""], "customer_calmed": ["true", "false"],
    "findings": TEXT, "founded": ["true", "true", "true", "false"], "responsible_department": DEPARTMENTS,
    "remedy": TEXT, "resolve_by": ["2026-12-31"], "actions_taken": TEXT, "handled_on": ["2026-12-01"],
    "resolved": ["true", "true", "false"], "progress_note": TEXT, "feedback": TEXT,
    "feedback_channel": ["phone", "email"], "customer_satisfied": ["true", "false"], "satisfaction": ["3", "4", "5"],
    "root_cause": TEXT, "lessons": ["排班需覆盖全天", ""], "improvement_measures[0].measure": ["午间增加一名值班"],
    "improvement_measures[0].owner_department": DEPARTMENTS, "improvement_measures[0].due_date": ["2026-12-15"],
    "action_taken": TEXT, "notify_director": ["false"],
    # inquiry handling
    "handling": ["direct", "transfer"], "transfer_note": ["请协助解答", ""], "answer": TEXT,
    "answered_on": ["2026-12-02"], "dept_answer": TEXT, "dept_contact": ["分机 8021", ""],
    "analysis_category": ["common_question", "product_gap", "sales_lead"], "record_note": ["", "常见问题"],
    # suggestion box
    "assessment": ["adopt", "reject", "escalate"], "assessment_comment": TEXT, "director_decision": ["adopt", "reject"],
    "director_comment": TEXT, "measures": TEXT, "implementer": ["张晓明"], "implement_by": ["2026-12-20"],
    "acknowledged": ["true"], "submitter_comment": ["谢谢", ""],
}

TASK_LINK = re.compile(r'href="/tasks/([0-9a-f-]{36})"')
INSTANCE_LINK = re.compile(r'href="/instances/([0-9a-f-]{36})"')
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
CONTROL = re.compile(r'<(input|select|textarea)\b([^>]*)>')
ATTRIBUTE = re.compile(r'([\w-]+)="([^"]*)"')
# What the inbox says after a completion: done, or why nothing was done (webui/i18n.py, English).
SUBMITTED = "Task submitted."
STALE = ("already been completed or cancelled", "already claimed this task", "is not claimed",
         "updated this case just now")


def form_fields(page: str, form_id: str) -> list[tuple[str, dict[str, str]]] | None:
    """(name, attributes) of each control of the form `form_id` on `page`, None if it has none."""
    start = page.find(f'id="{form_id}"')
    if start < 0:
        return None
    body = page[start:page.find("</form>", start)]
    controls = []
    for _, raw in CONTROL.findall(body):
        attributes = {k: unescape(v) for k, v in ATTRIBUTE.findall(raw)}
        name = attributes.get("name", "")
        if name and name not in ("csrf_token", "next") and "__INDEX__" not in name:
            controls.append((name, attributes))
    return controls


def fill(controls: list[tuple[str, dict[str, str]]], rng: random.Random) -> dict[str, str]:
    """A valid submission of the form: VALUES for the fields, hidden controls as they are.

    Raises:
        KeyError: the form has a field VALUES does not know (the bench must learn it).
    """
    data: dict[str, str] = {}
    for name, attributes in controls:
        if name in data or attributes.get("type") == "file":
            continue
        if name in VALUES:
            data[name] = rng.choice(VALUES[name])
        elif attributes.get("type") == "hidden":
            data[name] = attributes.get("value", "")
        else:
            raise KeyError(name)
    return data


