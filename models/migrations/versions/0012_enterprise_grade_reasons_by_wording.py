"""enterprise_grade: reasons by wording; kept by key on SQLite, room on its pages on PostgreSQL.

A grade's reasons were stored in full, each ``{"code", "zh", "en", "weight", "adverse"}``:
338 bytes an enterprise of a 650,000-enterprise district whose reasons are worded only
1,378 ways. Each is now ``[wording, weight, adverse]`` (33 bytes an enterprise), the
wording a row of ``reason_wording``, and the row small enough that SQLite keeps the table
as its key (``WITHOUT ROWID``). The district's table went from 332 MB to 63 MB, and
its next day's grades (every row rewritten) from 1.7–2.3 s plus a 0.7–1.2 s commit to
1.4–1.5 s plus 0.1–0.2 s, in its database as this migration leaves it (20 s).

On PostgreSQL the table's pages are filled to 60 % (``GRADE_FILLFACTOR``), so that the
next grading's new versions go on the same pages without new index entries; the converted
grades are written so already.

The stored grades are converted, their words kept exactly; ``adverse`` stays null where a
grade stored before it had none. The downgrade writes them back in full.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 16:03:34
"""

import json
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | None = None
depends_on: str | None = None

TABLE = "enterprise_grade"
#: SQLite: the table the converted grades are written to before it takes TABLE's place.
COPY = "_enterprise_grade_0012"
#: PostgreSQL: how full the grades' pages are filled (``models.planning.GRADE_FILLFACTOR``).
FILLFACTOR = 60
#: Grades converted per statement.
CHUNK = 50_000


def upgrade() -> None:
    op.create_table(
        "reason_wording",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(), nullable=False),
        sa.Column("zh", sa.String(), nullable=False),
        sa.Column("en", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code", "zh", "en"),
    )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(f"ALTER TABLE {TABLE} SET (fillfactor = {FILLFACTOR})")
    add = sa.text("INSERT INTO reason_wording (code, zh, en) VALUES (:code, :zh, :en)")
    ids: dict[tuple[str, str, str], int] = {}
    for grades in _chunks(bind):
        # Wordings numbered in the order the grades (by USCC) first use them: the same
        # ids for the same grades on any database.
        new = dict.fromkeys(
            w for _, reasons in grades for r in reasons if (w := _wording(r)) not in ids
        )
        if new:
            bind.execute(add, [{"code": c, "zh": zh, "en": en} for c, zh, en in new])
            ids = {
                (c, zh, en): i
                for i, c, zh, en in bind.execute(
                    sa.text("SELECT id, code, zh, en FROM reason_wording")
                )
            }
        converted = [
            (u, [[ids[_wording(r)], r["weight"], _side(r.get("adverse"))] for r in reasons])
            for u, reasons in grades
        ]
        _store(bind, converted, compact=True)
    if bind.dialect.name == "sqlite":
        # The converted grades are copied by USCC into a table kept by its key, which takes
        # the old one's place. Left where they were converted, they kept the pages the
        # words had filled: a district's next grades then rewrote 312 MB holding 63 MB.
        _create_grades(COPY)
        columns = "uscc, credit, risk, grade, reasons, as_of"
        op.execute(f"INSERT INTO {COPY} ({columns}) SELECT {columns} FROM {TABLE} ORDER BY uscc")
        op.drop_table(TABLE)
        op.rename_table(COPY, TABLE)


def downgrade() -> None:
    bind = op.get_bind()
    words = {
        i: (c, zh, en)
        for i, c, zh, en in bind.execute(sa.text("SELECT id, code, zh, en FROM reason_wording"))
    }
    for grades in _chunks(bind):
        _store(bind, [(u, _in_full(reasons, words)) for u, reasons in grades], compact=False)
    _recreate({"sqlite_with_rowid": True})
    if bind.dialect.name == "postgresql":
        op.execute(f"ALTER TABLE {TABLE} RESET (fillfactor)")
    op.drop_table("reason_wording")


# The helpers below repeat what ``write_grades`` and ``load_grade`` do, on purpose: a
# migration stands alone, so that it converts the same way when those change.


def _wording(reason: dict[str, Any]) -> tuple[str, str, str]:
    return reason["code"], reason["zh"], reason["en"]


def _side(adverse: Any) -> int | None:
    return None if adverse is None else int(bool(adverse))


def _in_full(reasons: list[list[Any]], words: dict[int, tuple[str, str, str]]) -> list[Any]:
    full = []
    for wording, weight, adverse in reasons:
        code, zh, en = words[wording]
        entry: dict[str, Any] = {"code": code, "zh": zh, "en": en, "weight": weight}
        if adverse is not None:
            entry["adverse"] = bool(adverse)
        full.append(entry)
    return full


def _create_grades(name: str) -> None:
    """``enterprise_grade`` as the models make it, kept by its key, named ``name``."""
    op.create_table(
        name,
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("credit", sa.Float(), nullable=False),
        sa.Column("risk", sa.Float(), nullable=False),
        sa.Column("grade", sa.String(length=1), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=True),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("uscc"),
        sqlite_with_rowid=False,
    )


def _json(reasons: list[Any], *, compact: bool) -> str:
    """As ``write_grades`` writes them (compact), or in full as it wrote them before."""
    separators = (",", ":") if compact else (", ", ": ")
    return json.dumps(reasons, ensure_ascii=False, separators=separators)


def _recreate(table_kwargs: dict[str, Any]) -> None:
    """SQLite: the table copied into one made with ``table_kwargs`` (rowid or not)."""
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table(TABLE, recreate="always", table_kwargs=table_kwargs):
            pass


def _chunks(bind: sa.Connection) -> Iterator[list[tuple[str, list[Any]]]]:
    """The grades' USCCs and reasons (parsed), by USCC, ``CHUNK`` at a time: a district's
    parsed reasons at once took over a gigabyte."""
    after = ""
    query = sa.text(
        f"SELECT uscc, reasons FROM {TABLE} WHERE uscc > :after ORDER BY uscc LIMIT {CHUNK}"
    )
    while rows := bind.execute(query, {"after": after}).all():
        # PostgreSQL's driver parses json; SQLite gives its text.
        yield [
            (uscc, (json.loads(reasons) if isinstance(reasons, str) else reasons) or [])
            for uscc, reasons in rows
        ]
        after = rows[-1][0]


def _store(bind: sa.Connection, grades: list[tuple[str, list[Any]]], compact: bool) -> None:
    """Store each grade's reasons as JSON text (:func:`_json`), in place."""
    cast = "CAST(:reasons AS json)" if bind.dialect.name == "postgresql" else ":reasons"
    update = sa.text(f"UPDATE {TABLE} SET reasons = {cast} WHERE uscc = :uscc")
    bind.execute(update, [{"uscc": u, "reasons": _json(r, compact=compact)} for u, r in grades])
