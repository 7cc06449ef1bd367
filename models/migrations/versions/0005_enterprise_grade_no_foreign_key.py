"""enterprise_grade: no foreign key to enterprise; write_grades checks a batch at once.

A foreign key checks every grade on its own, and on PostgreSQL each check also locks the
enterprise's row, which rewrites that row's page: storing a district's grades for the
first time cost the server 40 % more than without it. ``write_grades`` (the only writer
of grades) refuses a batch naming an enterprise the register does not have, in one query.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 10:20:00
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None

TABLE = "enterprise_grade"
#: SQLite reflects the key without a name; this convention names it so that batch mode
#: can drop it (Alembic, "Dropping Unnamed or Named Foreign Key Constraints").
NAMING = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}
UNNAMED = "fk_enterprise_grade_uscc_enterprise"


def upgrade() -> None:
    bind = op.get_bind()
    keys = [
        k for k in sa.inspect(bind).get_foreign_keys(TABLE) if k["referred_table"] == "enterprise"
    ]
    for key in keys:
        # The baseline's key has no name on SQLite (one made by ``downgrade`` has);
        # PostgreSQL names every key.
        name = key["name"] or UNNAMED
        if bind.dialect.name != "sqlite":
            op.drop_constraint(name, TABLE, type_="foreignkey")
            continue
        with op.batch_alter_table(TABLE, naming_convention=NAMING) as batch:
            batch.drop_constraint(name, type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table(TABLE) as batch:
        batch.create_foreign_key("enterprise_grade_uscc_fkey", "enterprise", ["uscc"], ["uscc"])
