"""revision_visit, revision_offsite: the visits and off-site checks each revision holds.

A replan's revision shares its filed revision's unchanged rows instead of copying them:
copying ~170,000 rows (and moving their codes) cost a district's nightly replan about
3 s whatever the size of the change. Each existing revision holds the rows it wrote
(``revision_id``), as before; the columns keep that meaning (the writer of the row).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 16:30:00
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None

#: Membership table → (row column, row table).
TABLES = {
    "revision_visit": ("visit_id", "visit"),
    "revision_offsite": ("offsite_id", "offsite_check"),
}


def upgrade() -> None:
    for name, (column, rows) in TABLES.items():
        op.create_table(
            name,
            sa.Column("revision_id", sa.Integer(), nullable=False),
            sa.Column(column, sa.Integer(), nullable=False),
            sa.ForeignKeyConstraint(["revision_id"], ["plan_revision.id"]),
            sa.ForeignKeyConstraint([column], [f"{rows}.id"]),
            sa.PrimaryKeyConstraint("revision_id", column),
            sqlite_with_rowid=False,
        )
        op.create_index(f"ix_{name}_{column}", name, [column], unique=False)
        op.execute(
            sa.text(
                f"INSERT INTO {name} (revision_id, {column}) SELECT revision_id, id FROM {rows}"
            )
        )


def downgrade() -> None:
    # Rows shared by several revisions belong to the one that wrote them, so a database
    # whose replans shared rows loses them from the later revisions: refused instead.
    bind = op.get_bind()
    for name, (column, rows) in TABLES.items():
        shared = bind.execute(
            sa.text(
                f"SELECT count(*) FROM {name} m JOIN {rows} r ON r.id = m.{column} "
                "WHERE r.revision_id != m.revision_id"
            )
        ).scalar_one()
        if shared:
            raise RuntimeError(
                f"{shared} rows of {rows} are held by revisions that did not write them; "
                "a schema before 0007 cannot hold them"
            )
    for name, (column, _rows) in TABLES.items():
        op.drop_index(f"ix_{name}_{column}", table_name=name)
        op.drop_table(name)
