"""inspection_code: drop the index on status.

A code's status has two values, and every query that reads it names the codes by
something narrower as well (the code, its visit or check, the revision's rows). SQLite,
which keeps no statistics here, took the status index all the same for the count of a
replan's carried codes and for the report's rateable visits: a walk over every valid
code of every quarter the database holds. And every filing paid for keeping it: a fifth
of the time writing a 650,000-enterprise district's 310,000 codes.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 10:40:00
"""

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.drop_index("ix_inspection_code_status", table_name="inspection_code")


def downgrade() -> None:
    op.create_index("ix_inspection_code_status", "inspection_code", ["status"])
