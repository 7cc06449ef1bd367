"""plan_revision.basis and input_change: what a revision was planned from, so that a
replan knows whether the rest of the district is as its filed revision saw it and may
replan only the enterprises with news. Revisions made before it have no basis, and a
replan of one replans the whole district, as it always did.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 01:10:00
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("plan_revision", schema=None) as batch_op:
        batch_op.add_column(sa.Column("basis", sa.JSON(), nullable=True))
    op.create_table(
        "input_change",
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("input_change")
    with op.batch_alter_table("plan_revision", schema=None) as batch_op:
        batch_op.drop_column("basis")
