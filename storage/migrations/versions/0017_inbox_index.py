"""inbox index (issue 17): the open tasks' columns an inbox is chosen, counted and ordered by —
claimed by whom, due, created, id, who is excluded, procedure — in one partial index over open
tasks, so a page sorted by due time merges index ranges already in order and a count never reads
the task rows (storage/inbox_sql.py)

Revision ID: 0017
Revises: 0016
"""
import sqlalchemy as sa
from alembic import op


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

COLUMNS = ['status', 'claimed_by', 'due_at', 'created_at', 'id', 'excluded_names', 'process_key']


def upgrade() -> None:
    open_only = sa.text("status = 'open'")
    op.create_index('ix_tasks_inbox', 'tasks', COLUMNS, unique=False,
                    sqlite_where=open_only, postgresql_where=open_only)


def downgrade() -> None:
    op.drop_index('ix_tasks_inbox', table_name='tasks')
