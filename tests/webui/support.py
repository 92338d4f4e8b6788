"""Helpers shared by the web UI and browser tests: a database with the demo organisation."""

from __future__ import annotations

from pathlib import Path

from werkzeug.security import generate_password_hash

from engine.definitions.bundles import load_catalog
from engine.definitions.organisation import parse_organisation
from bootstrap.wiring import DEMO_PASSWORD, Services, initialise

ROOT = Path(__file__).resolve().parents[2]
PROCESSES, FORMS = ROOT / "processes", ROOT / "forms"

INTAKE = {"customer_name": "王女士", "contact": "13800000000", "channel": "phone", "category": "service",
          "severity": "high", "description": "快递三次未送达"}


def cheap_hash(password: str) -> str:
    return generate_password_hash(password, method="pbkdf2:sha256:1000")


def build_services(url: str) -> Services:
    """A migrated database at `url` with processes/ deployed and the demo users."""
    services = initialise(url)
    engine = services.engine
    engine.deploy(load_catalog(PROCESSES, FORMS), actor="tests")
    file = PROCESSES / "organisation.yaml"
    engine.load_organisation(parse_organisation(file.read_text(encoding="utf-8"), str(file),
                                                hash_password=cheap_hash, default_password=DEMO_PASSWORD))
    return services
