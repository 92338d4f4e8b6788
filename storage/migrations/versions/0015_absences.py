"""absences: a person away on some local days and who stands in for them (issue 15.5); the
days as dates and, as instants, when the substitution begins and ends (`until_at`, moved to
the moment it was ended early), indexed by substitute and by person for "whom does X stand in
for now" and "does this absence overlap another"

Revision ID: 0015
Revises: 0014
"""
import sqlalchemy as sa
from alembic import op


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'absences',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('username', sa.String(length=100), nullable=False),
        sa.Column('substitute', sa.String(length=100), nullable=False),
        sa.Column('starts_on', sa.Date(), nullable=False),
        sa.Column('ends_on', sa.Date(), nullable=False),
        sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('until_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by', sa.String(length=100), nullable=True),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['username'], ['users.username'], name='fk_absences_username_users'),
        sa.ForeignKeyConstraint(['substitute'], ['users.username'], name='fk_absences_substitute_users'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('absences', schema=None) as batch_op:
        batch_op.create_index('ix_absences_substitute_until', ['substitute', 'until_at'], unique=False)
        batch_op.create_index('ix_absences_username_until', ['username', 'until_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('absences', schema=None) as batch_op:
        batch_op.drop_index('ix_absences_username_until')
        batch_op.drop_index('ix_absences_substitute_until')
    op.drop_table('absences')
