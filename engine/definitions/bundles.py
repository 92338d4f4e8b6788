"""Process definitions as data: the catalog entry and the files that make one version."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml
from lxml import etree

from engine.errors import DefinitionInvalid, Problem
from engine.definitions.subjects import form_fields, subject_problems
from engine.definitions.form_yaml import load_definition
from engine.definitions.namespaces import SPIFF_NS

FORM_KEY_PROPERTY = "formKey"
# A form key names a file in forms/; nothing else (no separators, no "..") may reach the disk.
FORM_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}")


def form_file(forms_dir: Path, form_key: str) -> Path | None:
    """The file `forms_dir/<form_key>.yaml`, or None when the key is not a plain form name."""
    if not isinstance(form_key, str) or not FORM_KEY.fullmatch(form_key):
        return None
    return forms_dir / f"{form_key}.yaml"


# The role that owns a procedure whose catalog entry names none (engine/permissions.py).
DEFAULT_OWNER_ROLE = "process-owner"


@dataclass(frozen=True)
class CatalogEntry:
    """What the catalog says about one procedure."""

    key: str
    process_id: str
    bpmn: str
    name: dict[str, str]
    starters: tuple[str, ...]
    owner_role: str
    clauses: tuple[str, ...] = ()
    lanes: dict[str, str] = field(default_factory=dict)
    dmn: tuple[str, ...] = ()
    start_form: str | None = None
    # What a task is about ({zh, en} templates over process data, engine/definitions/subjects.py) and hints
    # (label, options) for data no form names (values scripts compute), shaped like a form's ui
    # fields; left out of to_dict when empty, so the hash of an entry without them is unchanged.
    subject: dict[str, str] = field(default_factory=dict)
    data_fields: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["starters"], data["clauses"], data["dmn"] = list(self.starters), list(self.clauses), list(self.dmn)
        for optional in ("subject", "data_fields"):
            if not data[optional]:
                del data[optional]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "CatalogEntry":
        return cls(
            key=str(data["key"]),
            process_id=str(data.get("process_id") or data["key"]),
            bpmn=str(data.get("bpmn") or f"{data['key']}.bpmn"),
            name=dict(data.get("name") or {}),
            starters=tuple(data.get("starters") or ()),
            owner_role=str(data.get("owner_role") or DEFAULT_OWNER_ROLE),
            clauses=tuple(data.get("clauses") or ()),
            lanes=dict(data.get("lanes") or {}),
            dmn=tuple(data.get("dmn") or ()),
            start_form=data.get("start_form"),
            subject=dict(data.get("subject") or {}),
            data_fields={str(k): dict(v or {}) for k, v in (data.get("data_fields") or {}).items()},
        )


@dataclass(frozen=True)
class ProcessBundle:
    """Everything one version of a procedure consists of; immutable once deployed."""

    entry: CatalogEntry
    files: dict[str, str]

    @property
    def key(self) -> str:
        return self.entry.key

    @property
    def content_hash(self) -> str:
        digest = hashlib.sha256()
        digest.update(json.dumps(self.entry.to_dict(), sort_keys=True, ensure_ascii=False).encode())
        for name in sorted(self.files):
            digest.update(b"\0" + name.encode() + b"\0" + self.files[name].encode())
        return digest.hexdigest()

    def form_files(self) -> dict[str, str]:
        return {name: text for name, text in self.files.items() if name.startswith("forms/")}


def form_keys_in(bpmn_text: str) -> list[str]:
    """The form keys that a BPMN document's elements name (best effort; no validation)."""
    try:
        root = etree.fromstring(bpmn_text.encode())
    except etree.XMLSyntaxError:
        return []
    found = root.xpath(
        f"//spiff:property[@name='{FORM_KEY_PROPERTY}']/@value", namespaces={"spiff": SPIFF_NS}
    )
    return sorted({str(v) for v in found if v})


def load_catalog(processes_dir: Path, forms_dir: Path, only: set[str] | None = None) -> list[ProcessBundle]:
    """Read `catalog.yaml` and collect each procedure's files into a bundle.

    Raises:
        DefinitionInvalid: the catalog cannot be read or names files that do not exist.
    """
    catalog_file = processes_dir / "catalog.yaml"
    try:
        catalog = load_definition(catalog_file.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as err:
        raise DefinitionInvalid([Problem(str(catalog_file), f"cannot read the catalog: {err}")]) from err
    bundles, problems = [], []
    for raw in catalog.get("processes") or []:
        entry = CatalogEntry.from_dict(raw)
        if only is not None and entry.key not in only and entry.bpmn not in only:
            continue
        files: dict[str, str] = {}
        for name in (entry.bpmn, *entry.dmn):
            path = processes_dir / name
            if not path.is_file():
                problems.append(Problem(str(catalog_file), f"{entry.key}: file {name} does not exist"))
                continue
            files[name] = path.read_text(encoding="utf-8")
        keys = set(form_keys_in(files.get(entry.bpmn, "")))
        if entry.start_form:
            keys.add(entry.start_form)
        for form_key in sorted(keys):
            path = form_file(forms_dir, form_key)
            if path is not None and path.is_file():
                files[f"forms/{form_key}.yaml"] = path.read_text(encoding="utf-8")
        problems += subject_problems(str(catalog_file), entry.key, entry.subject,
                                     form_fields(files) | set(entry.data_fields))
        bundles.append(ProcessBundle(entry, files))
    if problems:
        raise DefinitionInvalid(problems)
    return bundles


def bundle_from_files(bpmn_path: Path, forms_dir: Path, catalog_dir: Path) -> ProcessBundle:
    """Build a bundle for one BPMN file, taking its catalog entry if the catalog has one.

    Raises:
        DefinitionInvalid: the file does not exist.
    """
    if not bpmn_path.is_file():
        raise DefinitionInvalid([Problem(str(bpmn_path), "file does not exist")])
    catalog_file = catalog_dir / "catalog.yaml"
    if catalog_file.is_file():
        for bundle in load_catalog(catalog_dir, forms_dir):
            if bundle.entry.bpmn == bpmn_path.name and (catalog_dir / bundle.entry.bpmn).resolve() == bpmn_path.resolve():
                return bundle
    text = bpmn_path.read_text(encoding="utf-8")
    process_id = _first_executable_process(text) or bpmn_path.stem
    entry = CatalogEntry(key=process_id, process_id=process_id, bpmn=bpmn_path.name,
                         name={"zh": process_id, "en": process_id}, starters=(), owner_role=DEFAULT_OWNER_ROLE)
    files = {bpmn_path.name: text}
    for form_key in form_keys_in(text):
        path = form_file(forms_dir, form_key)
        if path is not None and path.is_file():
            files[f"forms/{form_key}.yaml"] = path.read_text(encoding="utf-8")
    return ProcessBundle(entry, files)


def _first_executable_process(bpmn_text: str) -> str | None:
    try:
        root = etree.fromstring(bpmn_text.encode())
    except etree.XMLSyntaxError:
        return None
    ids = root.xpath("//*[local-name()='process' and @isExecutable='true']/@id") or \
        root.xpath("//*[local-name()='process']/@id")
    return str(ids[0]) if ids else None
