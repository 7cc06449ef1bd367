"""What the database already holds that a bundle may refer to, read once and cached.

A later import may carry any subset of the files (spec §1), so references are checked
against the bundle and against these keys. Each set is read only when a rule needs it.
"""

from collections.abc import Iterable

from sqlalchemy import Connection, Table, func, select

from jointinspect.models import (
    Demand,
    Department,
    Enterprise,
    InspectionCode,
    Inspector,
    Item,
    OffsiteCheck,
    Trigger,
    Visit,
    VisitTask,
)
from jointinspect.models.core_table import table_of

#: How many keys go into one ``IN (…)`` query (well under every driver's parameter limit).
_IN_CHUNK = 500
#: Up to how many enterprises are looked up by key rather than by reading the register
#: (650,000 keys take most of a second to read; a thousand lookups a few milliseconds).
_LOOKUP_AT_MOST = 5_000


class DatabaseKeys:
    """Cached key sets of the tables that bundle rows refer to, read through ``conn``."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._keys: dict[str, frozenset[object]] = {}
        self._items: dict[str, tuple[str, str]] | None = None
        self._codes: dict[str, tuple[str, str | None]] | None = None
        self._empty: dict[str, bool] = {}

    def is_empty(self, table: Table) -> bool:
        if table.name not in self._empty:
            count = self._conn.execute(select(func.count()).select_from(table)).scalar_one()
            self._empty[table.name] = count == 0
        return self._empty[table.name]

    def keys(self, table: Table) -> frozenset[object]:
        """The primary keys of ``table``: values for a one-column key, else tuples."""
        if table.name not in self._keys:
            if self.is_empty(table):
                self._keys[table.name] = frozenset()
            else:
                columns = list(table.primary_key.columns)
                rows = self._conn.execute(select(*columns))
                if len(columns) == 1:
                    self._keys[table.name] = frozenset(rows.scalars())
                else:
                    self._keys[table.name] = frozenset(tuple(row) for row in rows)
        return self._keys[table.name]

    def departments(self) -> frozenset[object]:
        return self.keys(table_of(Department))

    def enterprises(self) -> frozenset[object]:
        return self.keys(table_of(Enterprise))

    def known_enterprises(self, usccs: Iterable[str]) -> set[object]:
        """Those of ``usccs`` the register holds. A few (a night's triggers) are looked up
        by key; many read the whole register once, as :meth:`enterprises` does."""
        wanted = sorted(set(usccs))
        table = table_of(Enterprise)
        if table.name in self._keys or len(wanted) > _LOOKUP_AT_MOST:
            return set(self.enterprises().intersection(wanted))
        found: set[object] = set()
        for start in range(0, len(wanted), _IN_CHUNK):
            chunk = wanted[start : start + _IN_CHUNK]
            found.update(
                self._conn.execute(select(table.c.uscc).where(table.c.uscc.in_(chunk))).scalars()
            )
        return found

    def inspectors(self) -> frozenset[object]:
        return self.keys(table_of(Inspector))

    def demand_ids(self) -> frozenset[object]:
        return self.keys(table_of(Demand))

    def trigger_ids(self) -> frozenset[object]:
        return self.keys(table_of(Trigger))

    def items(self) -> dict[str, tuple[str, str]]:
        """Item code → (department, mode)."""
        if self._items is None:
            table = table_of(Item)
            rows = self._conn.execute(select(table.c.code, table.c.department, table.c.mode))
            self._items = {code: (department, mode) for code, department, mode in rows}
        return self._items

    def codes(self) -> dict[str, tuple[str, str | None]]:
        """Inspection code → (status, replacement code)."""
        if self._codes is None:
            table = table_of(InspectionCode)
            rows = self._conn.execute(select(table.c.code, table.c.status, table.c.replaced_by))
            self._codes = {code: (status, replaced_by) for code, status, replaced_by in rows}
        return self._codes

    def items_of_codes(self, codes: Iterable[str]) -> dict[str, set[str]]:
        """For each code: the items its visit or off-site check was planned for."""
        wanted = sorted(set(codes))
        found: dict[str, set[str]] = {}
        visit, task, offsite = table_of(Visit), table_of(VisitTask), table_of(OffsiteCheck)
        for start in range(0, len(wanted), _IN_CHUNK):
            chunk = wanted[start : start + _IN_CHUNK]
            on_site = (
                select(visit.c.code, task.c.item)
                .join(task, task.c.visit_id == visit.c.id)
                .where(visit.c.code.in_(chunk))
            )
            off_site = select(offsite.c.code, offsite.c.item).where(offsite.c.code.in_(chunk))
            for query in (on_site, off_site):
                for code, item in self._conn.execute(query):
                    found.setdefault(code, set()).add(item)
        return found
