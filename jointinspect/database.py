"""The database as the interfaces see it: open one (creating the schema only when asked)
and the error a database that cannot be used raises."""

from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError as DatabaseError

from jointinspect.models import create_schema, make_engine

__all__ = ["DatabaseError", "Engine", "open_database"]


def open_database(url: str, *, create: bool = True) -> Engine:
    """An engine on ``url``, with the schema in place when ``create``."""
    engine = make_engine(url)
    if create:
        create_schema(engine)
    return engine
