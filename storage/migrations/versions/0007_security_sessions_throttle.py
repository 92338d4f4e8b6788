"""security sessions throttle: sign-in throttle shared by every server process, server-side
web sessions (signing out ends them), and the user's chosen interface language

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'sign_in_throttle',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
        sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('key'),
    )
    with op.batch_alter_table('sign_in_throttle', schema=None) as batch_op:
        batch_op.create_index('ix_sign_in_throttle_window', ['window_start'], unique=False)

    op.create_table(
        'web_sessions',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('username', sa.String(length=100), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_web_sessions_username'), ['username'], unique=False)
        batch_op.create_index(batch_op.f('ix_web_sessions_started_at'), ['started_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_web_sessions_seen_at'), ['seen_at'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('language')
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_web_sessions_seen_at'))
        batch_op.drop_index(batch_op.f('ix_web_sessions_started_at'))
        batch_op.drop_index(batch_op.f('ix_web_sessions_username'))
    op.drop_table('web_sessions')
    with op.batch_alter_table('sign_in_throttle', schema=None) as batch_op:
        batch_op.drop_index('ix_sign_in_throttle_window')
    op.drop_table('sign_in_throttle')
