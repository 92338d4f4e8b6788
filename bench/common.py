"""Helpers the benchmarks share: a throw-away zhidu over SQLite, plain-Spiff set-up, statistics."""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
PROCESSES = ROOT / "processes"
FORMS = ROOT / "forms"
FIXTURES = ROOT / "tests" / "fixtures"


def env_int(name: str, default: int) -> int:
    """An integer from the environment (e.g. ZHIDU_BENCH_INSTANCES=200), else `default`."""
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}" if seconds == seconds else "n/a"


def kb(size: float) -> str:
    return f"{size / 1024:.1f} KB" if size == size else "n/a"


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


@dataclass
class Zhidu:
    """A zhidu engine over a fresh SQLite file that disappears with the context."""

    services: Any
    directory: Path

    @property
    def engine(self) -> Any:
        return self.services.engine

    def stored_state_bytes(self, instance_id: str) -> int:
        """Bytes of the instance's `state` column exactly as the database holds it."""
        with self.services.db.connect() as connection:
            value = connection.execute(text("SELECT state FROM instances WHERE id = :id"),
                                       {"id": instance_id}).scalar_one()
        return len(value.encode("utf-8") if isinstance(value, str) else bytes(value))


@contextmanager
def temporary_zhidu(bundles: list[Any], organisation: Any) -> Iterator[Zhidu]:
    """initialise('sqlite:///<tmp>/zhidu.db'), deploy `bundles`, load `organisation`."""
    from bootstrap.wiring import initialise

    directory = Path(tempfile.mkdtemp(prefix="zhidu-bench-"))
    services = initialise(f"sqlite:///{directory / 'zhidu.db'}")
    try:
        services.engine.deploy(bundles, actor="bench")
        services.engine.load_organisation(organisation)
        yield Zhidu(services, directory)
    finally:
        services.db.dispose()
        shutil.rmtree(directory, ignore_errors=True)


def cheap_organisation(extra_roles: tuple[str, ...] = (), extra_users: tuple[tuple[str, tuple[str, ...]], ...] = ()) -> Any:
    """The demo organisation without password hashing (hash_password=None), plus extras."""
    from engine.definitions.organisation import parse_organisation
    from engine.records import Organisation, Role, UserRecord

    file = PROCESSES / "organisation.yaml"
    org = parse_organisation(file.read_text(encoding="utf-8"), str(file), hash_password=None)
    roles = org.roles + tuple(Role(key, {"zh": key, "en": key}) for key in extra_roles)
    users = org.users + tuple(UserRecord(name, name, None, user_roles) for name, user_roles in extra_users)
    return Organisation(org.departments, roles, users)
