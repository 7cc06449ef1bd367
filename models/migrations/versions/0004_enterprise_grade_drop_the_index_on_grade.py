"""enterprise_grade: drop the index on grade.

Nothing looks grades up by their letter (reports count them by a scan, plans read every
row), and every grading paid for keeping it: on PostgreSQL an eighth of the server's
work of storing a district's grades for the first time.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 01:53:06.793560
"""

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.drop_index("ix_enterprise_grade_grade", table_name="enterprise_grade")


def downgrade() -> None:
    op.create_index("ix_enterprise_grade_grade", "enterprise_grade", ["grade"])
