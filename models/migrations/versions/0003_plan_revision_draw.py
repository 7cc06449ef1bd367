"""plan_revision.draw: fingerprints of what a revision's 双随机 draw was made from and of
what it drew, so that filing can check the draw without drawing again. Revisions made
before it have none, and filing draws again for them, as it always did.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 23:25:52.859544
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("plan_revision", schema=None) as batch_op:
        batch_op.add_column(sa.Column("draw", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("plan_revision", schema=None) as batch_op:
        batch_op.drop_column("draw")
