"""inspection_code.variant: what a code's binding was made with.

Forty bits of binding name a check, not tell every check apart: two of a district's
checks can share them, and filing gives the later one a code made with a variant of its
binding (``models.codes``). Codes issued before have variant 0, which is how they were
made.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 06:10:00
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("inspection_code", schema=None) as batch_op:
        batch_op.add_column(sa.Column("variant", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("inspection_code", schema=None) as batch_op:
        batch_op.drop_column("variant")
