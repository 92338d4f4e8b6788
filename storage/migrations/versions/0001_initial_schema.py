"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-27 06:20:23.477073
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Tables in an order their foreign keys allow: instances before journal and tasks.
    _organisation()
    _versions()
    _instances_and_journal()
    _tasks()


def _organisation() -> None:
    op.create_table('departments',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('name', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('roles',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('name', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('users',
    sa.Column('username', sa.String(length=100), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('department', sa.String(length=100), nullable=True),
    sa.Column('roles', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('password_hash', sa.String(length=300), nullable=True),
    sa.PrimaryKeyConstraint('username')
    )


def _versions() -> None:
    op.create_table('process_versions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('entry', sa.JSON(), nullable=False),
    sa.Column('files', sa.JSON(), nullable=False),
    sa.Column('deployed_by', sa.String(length=100), nullable=True),
    sa.Column('deployed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('content_hash'),
    sa.UniqueConstraint('key', 'number', name='uq_process_versions_key_number')
    )
    with op.batch_alter_table('process_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_process_versions_key'), ['key'], unique=False)



def _instances_and_journal() -> None:
    op.create_table('instances',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('process_key', sa.String(length=100), nullable=False),
    sa.Column('version_hash', sa.String(length=64), nullable=False),
    sa.Column('version_number', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('state', sa.JSON(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('started_by', sa.String(length=100), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('next_wake_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('current_step', sa.Text(), nullable=True),
    sa.Column('incident', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('instances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_instances_process_key'), ['process_key'], unique=False)
        batch_op.create_index('ix_instances_started_by', ['started_by', 'started_at'], unique=False)
        batch_op.create_index('ix_instances_wake', ['status', 'next_wake_at'], unique=False)

    op.create_table('journal',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('instance_id', sa.String(length=36), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('entry_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('instance_id', 'seq', name='uq_journal_instance_seq')
    )
    with op.batch_alter_table('journal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journal_instance_id'), ['instance_id'], unique=False)



def _tasks() -> None:
    op.create_table('tasks',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('instance_id', sa.String(length=36), nullable=False),
    sa.Column('process_key', sa.String(length=100), nullable=False),
    sa.Column('spec_name', sa.String(length=200), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('lane', sa.Text(), nullable=True),
    sa.Column('form_key', sa.String(length=100), nullable=True),
    sa.Column('candidates', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('claimed_by', sa.String(length=100), nullable=True),
    sa.Column('department', sa.String(length=100), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_by', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tasks_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index('ix_tasks_status_claimed', ['status', 'claimed_by'], unique=False)

    op.create_table('task_candidates',
    sa.Column('task_id', sa.String(length=36), nullable=False),
    sa.Column('candidate', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], ),
    sa.PrimaryKeyConstraint('task_id', 'candidate')
    )
    with op.batch_alter_table('task_candidates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_candidates_candidate'), ['candidate'], unique=False)



def downgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table('task_candidates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_candidates_candidate'))

    op.drop_table('task_candidates')
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_tasks_status_claimed')
        batch_op.drop_index(batch_op.f('ix_tasks_instance_id'))

    op.drop_table('tasks')
    op.drop_table('users')
    op.drop_table('roles')
    with op.batch_alter_table('process_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_process_versions_key'))

    op.drop_table('process_versions')
    with op.batch_alter_table('journal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_journal_instance_id'))

    op.drop_table('journal')
    with op.batch_alter_table('instances', schema=None) as batch_op:
        batch_op.drop_index('ix_instances_wake')
        batch_op.drop_index('ix_instances_started_by')
        batch_op.drop_index(batch_op.f('ix_instances_process_key'))

    op.drop_table('instances')
    op.drop_table('departments')
    # ### end Alembic commands ###
