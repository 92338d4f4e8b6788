"""journeys (placeholder reserved for this wave; filled by the work that needs it)

- tasks.subject, tasks.search_text: what each task is about, shown and searched in inboxes
  (issue 11.7); additive, existing rows keep NULL (no subject).

Revision ID: 0009
Revises: 0008
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('search_text', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_column('search_text')
        batch_op.drop_column('subject')
