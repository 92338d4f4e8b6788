"""api tokens: personal API tokens (issue 14.3) — the SHA-256 of each secret, never the
secret; the owner, name, lifetime, last use and revocation; and the request count of the
token's current one-minute window, kept on its row so every server process shares the limit

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'api_tokens',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('username', sa.String(length=100), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('secret_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('window_start', sa.DateTime(timezone=True), nullable=True),
        sa.Column('window_count', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['username'], ['users.username'], name='fk_api_tokens_username_users'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_username'), ['username'], unique=False)
        batch_op.create_index(batch_op.f('ix_api_tokens_secret_hash'), ['secret_hash'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_secret_hash'))
        batch_op.drop_index(batch_op.f('ix_api_tokens_username'))
    op.drop_table('api_tokens')
