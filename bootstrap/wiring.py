"""Builds the engine over storage from configuration; used by the CLI and the web app."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

from engine.clock import UTC, Clock, SystemClock, organisation_zone
from engine.errors import DefinitionInvalid, InvalidInput, Problem

# What a command needs is imported when it runs: a `zhidu` call imports only its own command's
# share (SQLAlchemy, the engine runtime with SpiffWorkflow, werkzeug), not every command's.
if TYPE_CHECKING:
    from sqlalchemy import Engine as DbEngine

    from engine.definitions.bundles import ProcessBundle
    from engine.records import Organisation
    from engine.runtime import Engine
    from engine.spiff.spec_cache import CompiledVersions

DEMO_PASSWORD = "zhidu-demo"
FINGERPRINT_KEY_FILE = "var/fingerprint_key"


@dataclass
class Services:
    engine: Engine
    db: DbEngine
    url: str


def home() -> Path:
    """Where processes/ and forms/ live: `ZHIDU_HOME`, else the working directory."""
    return Path(os.environ.get("ZHIDU_HOME") or Path.cwd())


def build(url: str | None = None, clock: Clock | None = None, require_schema: bool = True,
          background: bool = False) -> Services:
    """Wire an engine to the database at `url` (default: `ZHIDU_DATABASE_URL` or var/zhidu.db);
    `background` for the worker's (storage/database.py `make_engine`).

    Raises:
        InvalidInput: the database has no schema yet (run `zhidu init`).
    """
    from sqlalchemy import inspect

    from engine.runtime import Engine
    from engine.spiff.specs import SpecCache
    from storage.database import make_engine, uow_factory
    from storage.files import FolderFiles, files_dir

    url = url or database_url()
    db = make_engine(url, background)
    if require_schema and not inspect(db).has_table("instances"):
        raise InvalidInput("the database has no zhidu schema yet; run `zhidu init` first")
    versions = compiled_versions(url)
    cache = SpecCache(versions.compile) if versions is not None else None
    return Services(Engine(uow_factory(db), clock or SystemClock(time_zone()), cache=cache,
                           fingerprint_key=fingerprint_key(), files=FolderFiles(files_dir())), db, url)


def database_url() -> str:
    """`ZHIDU_DATABASE_URL`, else a SQLite file at var/zhidu.db under the working directory."""
    from storage.database import database_url as configured

    return configured()


def compiled_versions(url: str) -> CompiledVersions | None:
    """Compiled versions kept across processes for the database at `url` (beside a SQLite file,
    else var/compiled; `ZHIDU_CACHE_DIR` to choose), their entries signed with a key derived
    from the installation's fingerprint key; None for an in-memory database."""
    from engine.spiff.spec_cache import CompiledVersions
    from storage.compiled_store import CompiledFolder, compiled_dir

    folder = compiled_dir(url)
    if folder is None:
        return None
    return CompiledVersions(CompiledFolder(folder), fingerprint_key())


def time_zone() -> tzinfo:
    """The organisation's zone (`time_zone` of processes/organisation.yaml; UTC without the file).

    Raises:
        DefinitionInvalid: the file names an unknown zone.
    """
    file = home() / "processes" / "organisation.yaml"
    if not file.is_file():
        return UTC
    try:
        return organisation_zone(file.read_text(encoding="utf-8"))
    except ValueError as err:
        raise DefinitionInvalid([Problem(str(file), str(err), "time_zone")]) from err


def fingerprint_key(file: str = FINGERPRINT_KEY_FILE) -> bytes:
    """The installation's key for fingerprints of confidential values: `ZHIDU_FINGERPRINT_KEY`,
    else a random key kept in var/fingerprint_key (created on first use). It never enters the
    database, so a copy of the database or an export does not carry it; every process of one
    installation (web workers, `zhidu worker`, the CLI) must read the same key.

    Raises:
        InvalidInput: `ZHIDU_FINGERPRINT_KEY` is shorter than 32 characters.
    """
    given = os.environ.get("ZHIDU_FINGERPRINT_KEY")
    if given is not None:
        if len(given.strip()) < 32:
            raise InvalidInput("ZHIDU_FINGERPRINT_KEY must be at least 32 characters (e.g. 64 random hex digits)")
        return given.strip().encode()
    path = Path(file)
    if not path.is_file():
        import secrets

        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        draft.write_text(secrets.token_hex(32))
        draft.chmod(0o600)
        try:
            os.link(draft, path)  # atomic: of two processes starting at once, one key wins
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    key = path.read_text().strip()
    if not key:
        raise InvalidInput(f"{file} is empty: set ZHIDU_FINGERPRINT_KEY or restore the key file")
    return key.encode()


def initialise(url: str | None = None) -> Services:
    """Create or migrate the schema and return the wired services."""
    from storage.database import migrate

    services = build(url, require_schema=False)
    migrate(services.db)
    return services


def hash_password(password: str) -> str:
    from werkzeug.security import generate_password_hash

    return generate_password_hash(password, method="scrypt")


def bundles_from_paths(paths: list[str]) -> list[ProcessBundle]:
    """Bundles for directories (with a catalog.yaml) and single .bpmn files.

    Raises:
        DefinitionInvalid: a path does not exist or cannot be read.
    """
    from engine.definitions.bundles import bundle_from_files, load_catalog

    bundles: list[ProcessBundle] = []
    for raw in paths or [str(home() / "processes")]:
        path = Path(raw)
        forms = _forms_dir(path)
        if path.is_dir():
            if not (path / "catalog.yaml").is_file():
                raise DefinitionInvalid([Problem(str(path), "directory has no catalog.yaml")])
            bundles += load_catalog(path, forms)
        elif path.suffix.lower() == ".bpmn":
            bundles.append(bundle_from_files(path, forms, path.parent))
        else:
            raise DefinitionInvalid([Problem(str(path), "not a directory with catalog.yaml nor a .bpmn file")])
    return bundles


def _forms_dir(path: Path) -> Path:
    base = path if path.is_dir() else path.parent
    for candidate in (base / "forms", base.parent / "forms", home() / "forms"):
        if candidate.is_dir():
            return candidate
    return home() / "forms"


def demo_organisation() -> Organisation:
    """The demo organisation of processes/organisation.yaml, every user with the demo password."""
    from engine.definitions.organisation import parse_organisation

    file = home() / "processes" / "organisation.yaml"
    return parse_organisation(file.read_text(encoding="utf-8"), str(file), hash_password, DEMO_PASSWORD)
