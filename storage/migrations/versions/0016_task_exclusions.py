"""separation of duties (issue 16.5): who may not do an open task and why, as JSON
([{user, rule, step}]), and their names as "|alice|bob|" for inboxes to leave the task out of
those people's lists; both NULL when nobody is excluded, as for every task before

Revision ID: 0016
Revises: 0015
"""
import sqlalchemy as sa
from alembic import op


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('excluded', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('excluded_names', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_column('excluded_names')
        batch_op.drop_column('excluded')
