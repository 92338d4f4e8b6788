"""notifications and their e-mail (issue 15.1/15.2, decision 15); users get an e-mail address

- notifications: one row per recipient and event, written in the command's own transaction;
  `read_at` once read. The row is also its e-mail's outbox row: `mail_status` (none due,
  pending, sent, failed, skipped), the attempts, the next attempt (also the lease while a worker
  sends it), the claim of the worker sending it and the last error.
- notification_mail_off: the kinds a user turned off for e-mail (mail is on by default).
- users.email: where a user's notifications are mailed (nullable: no address, no mail).

Revision ID: 0014
Revises: 0013
"""
import sqlalchemy as sa
from alembic import op


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("email", sa.String(254), nullable=True))
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("recipient", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("instance_id", sa.String(36), nullable=True),
        sa.Column("task_id", sa.String(36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("mail_status", sa.String(20), nullable=True),
        sa.Column("mail_attempts", sa.Integer(), nullable=False),
        sa.Column("mail_next_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("mail_claim", sa.String(36), nullable=True),
        sa.Column("mail_error", sa.Text(), nullable=True),
    )
    op.create_index("ix_notifications_recipient", "notifications", ["recipient", "id"])
    op.create_index("ix_notifications_unread", "notifications", ["recipient", "read_at"])
    op.create_index("ix_notifications_task_kind", "notifications", ["task_id", "kind"])
    op.create_index("ix_notifications_mail_due", "notifications", ["mail_status", "mail_next_at"])
    op.create_table(
        "notification_mail_off",
        sa.Column("username", sa.String(100), primary_key=True),
        sa.Column("kind", sa.String(40), primary_key=True),
    )


def downgrade() -> None:
    op.drop_table("notification_mail_off")
    for index in ("ix_notifications_mail_due", "ix_notifications_task_kind", "ix_notifications_unread",
                  "ix_notifications_recipient"):
        op.drop_index(index, table_name="notifications")
    op.drop_table("notifications")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("email")
