"""``python -m jointinspect.models.migrations "what changed"``: write the next revision
for the change made to the models, to be reviewed and committed with it."""

import sys

from sqlmodel import SQLModel

from jointinspect.models import load_all
from jointinspect.models.migrations import write_revision


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not argv[0].strip():
        sys.stderr.write(__doc__.splitlines()[0] + "\n")
        return 2
    load_all()  # every table on SQLModel.metadata: the package loads them lazily
    write_revision(argv[0], SQLModel.metadata)  # Alembic reports the file it writes
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
