"""external tasks: one row per service task an instance waits on for an external worker
(issue 14.4) — its topic, result form, the retries left (and the model's count, which an
incident retry gives back), which worker holds its lock until when, the last error

Revision ID: 0012
Revises: 0011
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'external_tasks',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('instance_id', sa.String(length=36), nullable=False),
        sa.Column('process_key', sa.String(length=100), nullable=False),
        sa.Column('element', sa.String(length=200), nullable=False),
        sa.Column('topic', sa.String(length=100), nullable=False),
        sa.Column('form_key', sa.String(length=100), nullable=True),
        sa.Column('retries', sa.Integer(), nullable=False),
        sa.Column('default_retries', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('worker_id', sa.String(length=100), nullable=True),
        sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('error_message', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], name='fk_external_tasks_instance_id_instances'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('external_tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_external_tasks_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index('ix_external_tasks_fetch', ['status', 'topic', 'created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('external_tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_external_tasks_fetch')
        batch_op.drop_index(batch_op.f('ix_external_tasks_instance_id'))
    op.drop_table('external_tasks')
