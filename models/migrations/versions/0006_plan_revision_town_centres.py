"""plan_revision.town_centres: the town centres (officers' homes) a revision was planned
with, so that a replan plans with its filed revision's centres instead of reading the
whole register for them. Revisions made before it have none, and a replan of one works
the centres out from the register, as it always did.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 12:30:00
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("plan_revision", schema=None) as batch_op:
        batch_op.add_column(sa.Column("town_centres", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("plan_revision", schema=None) as batch_op:
        batch_op.drop_column("town_centres")
