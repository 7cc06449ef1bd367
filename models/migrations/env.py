"""How Alembic runs JointInspect's migrations: on the connection the code hands over
(``config.attributes["connection"]``, see ``jointinspect.models.migrations``), against
the models' metadata unless a caller gives other metadata."""

from alembic import context
from sqlalchemy import MetaData
from sqlmodel import SQLModel

from jointinspect.models import load_all
from jointinspect.models.migrations import migration_options

load_all()  # every table on SQLModel.metadata: the package loads them lazily

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "JointInspect's migrations run on a connection it opens: use `jointinspect db "
        "upgrade`, or jointinspect.models.migrations from Python"
    )
metadata = context.config.attributes.get("metadata")
context.configure(
    connection=connection,
    target_metadata=metadata if isinstance(metadata, MetaData) else SQLModel.metadata,
    **migration_options(connection),
)
with context.begin_transaction():
    context.run_migrations()
