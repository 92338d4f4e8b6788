"""role departments

- roles.department, roles.manager: the department a role belongs to and whether it manages it
  (issue 13.2); permissions read these instead of the shape of the role key. A manager role with
  no department manages every department (the director).
- Existing rows are back-filled once from the naming convention the engine used until now, so a
  database created before this revision keeps its permissions: `<dept>-staff` and `<dept>-manager`
  belong to `<dept>` when it is a department; `<dept>-manager` and `director` are managers. A
  `-manager` role whose prefix is no department stays a plain role: marking it a manager without a
  department would make it manage every department, which it never did.

Revision ID: 0010
Revises: 0009
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

DIRECTOR = 'director'
SUFFIXES = ('-staff', '-manager')

roles = sa.table('roles', sa.column('key', sa.String), sa.column('department', sa.String),
                 sa.column('manager', sa.Boolean))
departments = sa.table('departments', sa.column('key', sa.String))


def upgrade() -> None:
    with op.batch_alter_table('roles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('department', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('manager', sa.Boolean(), nullable=False, server_default=sa.false()))
    _backfill(op.get_bind())


def _backfill(connection: sa.Connection) -> None:
    """Give each existing role the department and manager flag its key implied until now."""
    known = set(connection.scalars(sa.select(departments.c.key)))
    for key in list(connection.scalars(sa.select(roles.c.key))):
        department, manager = _implied(key, known)
        if department is not None or manager:
            connection.execute(sa.update(roles).where(roles.c.key == key)
                               .values(department=department, manager=manager))


def _implied(key: str, known: set[str]) -> tuple[str | None, bool]:
    """(department, manager) that the role key `key` stood for under the old naming convention."""
    if key == DIRECTOR:
        return None, True
    for suffix in SUFFIXES:
        if key.endswith(suffix) and key.removesuffix(suffix) in known:
            return key.removesuffix(suffix), suffix == '-manager'
    return None, False


def downgrade() -> None:
    with op.batch_alter_table('roles', schema=None) as batch_op:
        batch_op.drop_column('manager')
        batch_op.drop_column('department')
