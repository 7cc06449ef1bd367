"""Code keys bound to their database: each key id with its fingerprint (never the
secret), so a key that is not the database's is an error rather than forged codes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04 21:02:15.782877
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "code_key",
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key_id"),
    )


def downgrade() -> None:
    op.drop_table("code_key")
