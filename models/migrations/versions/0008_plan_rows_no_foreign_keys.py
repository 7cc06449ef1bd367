"""Plan rows: no per-row foreign keys; their writers check a revision at once.

Visits, their tasks and officers, off-site checks, the revisions' lists of them and the
inspection codes are written by the hundred thousand. A foreign key checks every row on
its own, and on PostgreSQL each check also locks the row it names: writing a
650,000-enterprise district's draft took 11.6 s there (about 2 s on SQLite), filing its
codes 8.3 s. ``store_draft`` and ``file_plan`` now check what their rows name in one
query per reference before committing (``jointinspect.data.plans.references``).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 20:30:00
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None

#: Table → its keys as the baseline and 0007 made them: (column, referred table, column).
KEYS: dict[str, list[tuple[str, str, str]]] = {
    "visit": [("revision_id", "plan_revision", "id"), ("uscc", "enterprise", "uscc")],
    "visit_task": [("visit_id", "visit", "id")],
    "visit_officer": [("visit_id", "visit", "id"), ("inspector_id", "inspector", "id")],
    "offsite_check": [("revision_id", "plan_revision", "id"), ("uscc", "enterprise", "uscc")],
    "revision_visit": [("revision_id", "plan_revision", "id"), ("visit_id", "visit", "id")],
    "revision_offsite": [
        ("revision_id", "plan_revision", "id"),
        ("offsite_id", "offsite_check", "id"),
    ],
    "inspection_code": [
        ("revision_id", "plan_revision", "id"),
        ("visit_id", "visit", "id"),
        ("offsite_id", "offsite_check", "id"),
    ],
}
#: SQLite reflects keys without names; this convention names them so that batch mode can
#: drop them (Alembic, "Dropping Unnamed or Named Foreign Key Constraints").
NAMING = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}
#: SQLite tables that are their key (0007): batch mode's copy must be one too.
WITHOUT_ROWID = {"revision_visit", "revision_offsite"}


def upgrade() -> None:
    bind = op.get_bind()
    for table in KEYS:
        keys = sa.inspect(bind).get_foreign_keys(table)
        if not keys:
            continue
        if bind.dialect.name != "sqlite":
            for key in keys:  # PostgreSQL names every key
                op.drop_constraint(str(key["name"]), table, type_="foreignkey")
            continue
        with op.batch_alter_table(
            table, naming_convention=NAMING, table_kwargs=_table_kwargs(table)
        ) as batch:
            for key in keys:
                name = key["name"] or NAMING["fk"] % {
                    "table_name": table,
                    "column_0_name": key["constrained_columns"][0],
                    "referred_table_name": key["referred_table"],
                }
                batch.drop_constraint(name, type_="foreignkey")


def downgrade() -> None:
    for table, keys in KEYS.items():
        with op.batch_alter_table(table, table_kwargs=_table_kwargs(table)) as batch:
            for column, referred, referred_column in keys:
                batch.create_foreign_key(
                    f"{table}_{column}_fkey", referred, [column], [referred_column]
                )


def _table_kwargs(table: str) -> dict[str, object]:
    return {"sqlite_with_rowid": False} if table in WITHOUT_ROWID else {}
