"""inbox (issue 17): an open task's row says whom it is offered to, as "|role:a|user:b|"
(tasks.offered_to), and ix_tasks_inbox holds that and the task's search text. Counting an inbox
reads its tasks' index entries instead of probing task_candidates once for each, and a search
reads the index instead of every open task's row (storage/inbox_sql.py).

A PostgreSQL index entry must fit in 2,704 bytes: storage/task_rows.py writes at most 200 bytes
of offered_to and 1,800 of search text; the open tasks written before get the same here. A
candidate SQLite's LIKE could mistake for another (ASCII capitals) or holding the separator is
written "*", as is a list over 200 bytes: the inbox looks those up in task_candidates, whose rows
are what offered_to is filled from.

Revision ID: 0018
Revises: 0017
"""
import re
from collections import defaultdict

import sqlalchemy as sa
from alembic import op


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

BEFORE = ['status', 'claimed_by', 'due_at', 'created_at', 'id', 'excluded_names', 'process_key']
COLUMNS = [*BEFORE, 'offered_to', 'search_text']
TASKS = sa.table('tasks', sa.column('id', sa.String), sa.column('status', sa.String),
                 sa.column('offered_to', sa.Text), sa.column('search_text', sa.Text))
CANDIDATES = sa.table('task_candidates', sa.column('task_id', sa.String), sa.column('candidate', sa.String))


def upgrade() -> None:
    op.add_column('tasks', sa.Column('offered_to', sa.Text(), nullable=True))
    _fill_open_tasks(op.get_bind())
    op.drop_index('ix_tasks_inbox', table_name='tasks')
    _index(COLUMNS)


def downgrade() -> None:
    op.drop_index('ix_tasks_inbox', table_name='tasks')
    # SQLite drops a column in place since 3.35 (2021); copying the table, as batch mode does,
    # would fail on the foreign keys that point at it
    op.drop_column('tasks', 'offered_to')
    _index(BEFORE)


def _index(columns: list[str]) -> None:
    open_only = sa.text("status = 'open'")
    op.create_index('ix_tasks_inbox', 'tasks', columns, unique=False,
                    sqlite_where=open_only, postgresql_where=open_only)


def _fill_open_tasks(bind) -> None:
    offered = defaultdict(list)
    for task_id, candidate in bind.execute(sa.select(CANDIDATES.c.task_id, CANDIDATES.c.candidate)):
        offered[task_id].append(candidate)
    rows = bind.execute(sa.select(TASKS.c.id, TASKS.c.search_text).where(TASKS.c.status == 'open')).all()
    values = [{'_id': task_id, 'offered_to': _offered_to(offered[task_id]), 'search_text': _bounded(text)}
              for task_id, text in rows]
    if values:
        bind.execute(TASKS.update().where(TASKS.c.id == sa.bindparam('_id'))
                     .values(offered_to=sa.bindparam('offered_to'), search_text=sa.bindparam('search_text')), values)


def _offered_to(candidates: list[str]) -> str:
    # as storage/inbox_sql.py `offered_to` writes it
    plain = [c for c in candidates if not re.search(r'[A-Z|]', c)]
    text = '|' + '|'.join(plain if len(plain) == len(candidates) else [*plain, '*']) + '|'
    return text if len(text.encode()) <= 200 else '|*|'


def _bounded(text: str | None) -> str | None:
    # as storage/task_rows.py `_search_text` cuts it
    return text if text is None or len(text) <= 450 else text.encode()[:1800].decode(errors='ignore')
