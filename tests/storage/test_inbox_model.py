"""The inbox's SQL (storage/inbox_sql.py) answers as the engine's fake storage does in plain Python
(tests/engine/fakes.py) over the same tasks, on both databases: who sees which task, in which
order, paged, counted per procedure, searched and narrowed to a procedure, with substitutes and
separation of duties. Among the candidates are those the index's offered_to cannot name plainly
(capitals, which SQLite's LIKE ignores, the separator, lists too long) and names holding LIKE's
wildcards."""

from __future__ import annotations

import itertools
import random
import uuid
from datetime import timedelta

import pytest

from engine.records import Exclusion, TaskRecord, TextMatch, UserRecord
from storage.database import uow_factory
from storage.inbox_sql import offered_to
from tests.conftest import T0, make_zhidu, open_db
from tests.engine.fakes import FakeStore, FakeUnitOfWork

ROLES = {"alice": ("staff", "a"), "bob": ("Staff",), "carol": ("a|b", "x_y"), "dave": ("x%y", "客服")}
CANDIDATES = ("role:staff", "role:Staff", "role:a", "role:a|b", "role:x_y", "role:xzy", "role:x%y", "role:xyy",
              "role:客服", "user:alice", "user:bob", "user:Alice", "user:carol", "user:dave")
CROWD = tuple(f"user:someone{n}" for n in range(20))  # too many for offered_to: written "*"
READERS = [("alice", ()), ("bob", ()), ("carol", ()), ("dave", ()), ("alice", ("bob",)), ("carol", ("alice", "dave"))]
MATCHES = [None, TextMatch("客户3"), TextMatch("review"), TextMatch("nothing like it", ("p3",))]
PAGES = [(0, 4), (4, 4), (0, None)]


def random_tasks(instance_id: str, rng: random.Random) -> list[TaskRecord]:
    return [random_task(n, instance_id, rng) for n in range(90)]


def random_task(n: int, instance_id: str, rng: random.Random) -> TaskRecord:
    """The n-th task: created n minutes before T0 (no two alike, so the order never rests on ids,
    which PostgreSQL's collation may sort otherwise), open or not, claimed or offered or both."""
    candidates = tuple(rng.sample(CANDIDATES, rng.choice([0, 1, 1, 1, 2, 3])))
    if n % 15 == 0:
        candidates += CROWD + ("user:alice", "role:a")
    excluded = rng.sample(["alice", "bob", "carol"], rng.choice([0, 0, 0, 1, 2]))
    due = T0 + timedelta(hours=rng.randint(-50, 50), minutes=n) if rng.random() < 0.7 else None
    return TaskRecord(str(uuid.uuid4()), instance_id, rng.choice(["p1", "p2", "p3"]), "step",
                      rng.choice(["审核 Review", "批准 Approve"]), None, None, candidates, T0 - timedelta(minutes=n),
                      rng.choice(["open"] * 5 + ["completed"]), rng.choice([None] * 5 + ["alice", "bob", "erin"]),
                      due, subject={"zh": f"客户{n % 7}", "en": f"Customer {n % 7}"} if n % 3 else None,
                      excluded=tuple(Exclusion(u, "notBy") for u in excluded))


@pytest.fixture
def stores(db_url, clock):
    """The same tasks in real storage and in the fake, and the instance they belong to."""
    zhidu = make_zhidu(db_url, clock)
    instance_id = zhidu.start("complaint_handling", "cs_staff1", {"customer_name": "王", "contact": "1",
                                                                   "channel": "phone", "category": "service",
                                                                   "severity": "low", "description": "x"}).id
    tasks, fake = random_tasks(instance_id, random.Random(17)), FakeStore()
    uows = uow_factory(open_db(db_url))
    with uows() as uow:
        for task in tasks:
            uow.tasks.add(task)
        uow.commit()
    fake.tasks = {t.id: t for t in tasks}
    return uows, fake, instance_id


def test_offered_to_names_plain_candidates_and_stars_the_rest():
    assert offered_to(("role:customer-service-staff", "user:cs_staff1")) == \
        "|role:customer-service-staff|user:cs_staff1|"
    assert offered_to(("role:Staff", "role:a|b", "user:bob")) == "|user:bob|*|"
    assert offered_to(()) == "||"
    assert offered_to(CROWD) == "|*|"


def test_the_inbox_answers_as_its_model(stores):
    uows, fake, _ = stores
    with uows() as uow, FakeUnitOfWork(fake) as model_uow:
        model = model_uow.tasks
        for username, absent_names in READERS:
            roles, absent = ROLES[username], tuple(UserRecord(a, a, None, ROLES[a]) for a in absent_names)
            for match in MATCHES:
                asked = (username, absent_names, match)
                assert uow.tasks.inbox_groups(username, roles, absent, match) == \
                    model.inbox_groups(username, roles, absent, match), asked
                for process_key in (None, "p2"):
                    assert uow.tasks.inbox_count(username, roles, process_key, match, absent) == \
                        model.inbox_count(username, roles, process_key, match, absent), (asked, process_key)
                    for sort, (offset, limit) in itertools.product(("due", "created"), PAGES):
                        question = (username, roles, process_key, sort, offset, limit, match, absent)
                        assert ids(uow.tasks.inbox_page(*question)) == ids(model.inbox_page(*question)), question


def ids(tasks: list[TaskRecord]) -> list[str]:
    return [t.id for t in tasks]


def test_the_random_tasks_reach_every_kind_of_inbox(stores):
    """The comparison above is worth something: readers see tasks through offered_to, through the
    lookup it leaves to task_candidates, through a claim and as substitutes."""
    _, fake, _ = stores
    with FakeUnitOfWork(fake) as model_uow:
        seen = {(u, a): set(ids(model_uow.tasks.inbox(u, ROLES[u], tuple(UserRecord(x, x, None, ROLES[x]) for x in a))))
                for u, a in READERS}
    tasks = fake.tasks.values()
    starred = {t.id for t in tasks if "*" in offered_to(t.candidates)}
    assert all(seen.values()) and seen[("carol", ("alice", "dave"))] - seen[("carol", ())]
    assert any(seen_ids & starred for seen_ids in seen.values())
    assert {t.id for t in tasks if t.claimed_by == "bob"} & seen[("alice", ("bob",))]


def test_a_task_with_a_title_of_any_length_is_stored_and_found(stores):
    """The index holds each open task's search text and offered_to, cut to what a PostgreSQL index
    entry may hold: a very long title (here 1,500 characters that do not compress) still saves."""
    uows, _, instance_id = stores
    rng = random.Random(3)
    title = "长标题 " + "".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(1500))
    with uows() as uow:
        task = TaskRecord(str(uuid.uuid4()), instance_id, "p1", "step", title, None, None, CROWD + ("role:staff",),
                          T0, subject={"zh": "客" * 200, "en": "c" * 200})
        uow.tasks.add(task)
        uow.commit()
    with uows() as uow:
        found = uow.tasks.inbox_page("alice", ROLES["alice"], None, "due", 0, None, TextMatch("长标题"))
    assert [t.id for t in found] == [task.id]
