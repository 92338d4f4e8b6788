"""Attack (issue 12.12): customers' contact details entered in an inquiry or a revisit were shown
to everyone who could open the instance, though the regulation makes customer information a
trade secret (R7.1.1). Held: every field of every shipped form that holds contact or identity
data — found by its name and labels, so a new form cannot slip past — is confidential, or is
waived below with the reason."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from engine.audit.confidential import clearance_of

FORMS = Path(__file__).resolve().parents[2] / "forms"
# Names and labels that announce contact or identity data.
CONTACT = re.compile(r"phone|contact|mobile|e-?mail|id_?card|identity|address|wechat|telephone|"
                     r"电话|联系|手机|邮箱|身份证|地址|微信", re.IGNORECASE)
# form key -> field -> why it is not confidential although its name or label looks like contact data.
WAIVED: dict[str, dict[str, str]] = {
    "inquiry_dept_answer": {"dept_contact": "the colleague in the answering department the customer service "
                                            "staff may ask: an employee, not customer information"},
    # Brand building (R3.1.3): "identity" is the company's brand identity (logo, colours, visual
    # identity materials), published on purpose; it names no person.
    "brand_identity": {"materials": "the brand identity materials the company publishes",
                       "identity_note": "notes on the brand identity materials, not on a person"},
    "brand_identity_confirm": {"identity_confirmed": "the manager confirms the brand identity materials",
                               "identity_comment": "comments on the brand identity materials"},
    "brand_plan_draft": {"brand_image": "the brand image and identity the plan sets for the company"},
}


def _fields():
    for file in sorted(FORMS.glob("*.yaml")):
        form = yaml.safe_load(file.read_text(encoding="utf-8"))
        hints = (form.get("ui") or {}).get("fields") or {}
        for name, prop in ((form.get("schema") or {}).get("properties") or {}).items():
            yield form["key"], name, prop, hints.get(name) or {}


def _text(name: str, prop: dict, hints: dict) -> str:
    label = hints.get("label") or {}
    words = [name, *(label.values() if isinstance(label, dict) else [str(label)])]
    items = prop.get("items") if isinstance(prop.get("items"), dict) else {}
    words += list((prop.get("properties") or {}) | (items.get("properties") or {}))  # nested rows
    return " ".join(str(w) for w in words)


def test_every_contact_or_identity_field_is_confidential_or_waived_with_a_reason():
    exposed = []
    for key, name, prop, hints in _fields():
        if not CONTACT.search(_text(name, prop, hints)):
            continue
        if clearance_of(hints) or name in WAIVED.get(key, {}):
            continue
        exposed.append(f"{key}.{name}")
    assert exposed == [], f"contact or identity data not confidential (R7.1.1): {exposed}"


def test_every_waiver_names_a_field_that_exists_and_still_needs_it():
    fields = {(key, name): (prop, hints) for key, name, prop, hints in _fields()}
    for key, waived in WAIVED.items():
        for name, reason in waived.items():
            assert (key, name) in fields, f"waiver for {key}.{name}, which no form has"
            prop, hints = fields[key, name]
            assert CONTACT.search(_text(name, prop, hints)), f"{key}.{name} no longer looks like contact data"
            assert not clearance_of(hints), f"{key}.{name} is confidential now: drop its waiver"
            assert reason.strip()


def test_inquiry_and_revisit_contact_details_are_confidential_to_customer_service():
    for key, name in (("inquiry_intake", "contact"), ("revisit_plan", "revisit_list")):
        hints = next(h for k, n, _, h in _fields() if (k, n) == (key, name))
        assert {"customer-service-staff", "director"} <= clearance_of(hints), f"{key}.{name}"
