"""The worker's PostgreSQL connections commit without waiting for the disk; every other
connection keeps PostgreSQL's synchronous commit (storage/database.py `_asynchronous_commit`)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from storage.database import make_engine


def _setting(url: str, background: bool) -> tuple[str, str]:
    db = make_engine(url, background=background)
    try:
        with db.connect() as connection:
            first = connection.execute(text("SHOW synchronous_commit")).scalar()
            connection.rollback()  # the pool's reset on return must not undo it either
        with db.connect() as connection:
            again = connection.execute(text("SHOW synchronous_commit")).scalar()
        return first, again
    finally:
        db.dispose()


@pytest.mark.postgres
def test_the_worker_commits_asynchronously(postgres_url):
    assert _setting(postgres_url, background=True) == ("off", "off")


@pytest.mark.postgres
def test_commands_of_people_commit_synchronously(postgres_url):
    assert _setting(postgres_url, background=False) == ("on", "on")


@pytest.mark.postgres
def test_the_worker_is_wired_with_the_background_engine(postgres_url, monkeypatch, tmp_path):
    from bootstrap import worker
    built = []

    def build(**options):
        built.append(options)
        raise SystemExit  # the wiring is what is checked, not a worker pass

    monkeypatch.setattr(worker, "build", build)
    with pytest.raises(SystemExit):
        worker.run_worker(0.1, once=True)
    assert built == [{"background": True}]
