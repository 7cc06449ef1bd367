"""The Core table behind a SQLModel class, typed: what bulk statements and fast reads use."""

from typing import Any

from sqlalchemy import Table


def table_of(model: Any) -> Table:
    """The Core table of a SQLModel table class."""
    table = model.__table__
    assert isinstance(table, Table)
    return table
