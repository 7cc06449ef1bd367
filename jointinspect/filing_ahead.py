"""What a ``file`` command starts before it imports the filing: the hard-rule check's
process, for a district big enough that its draft is checked apart
(:mod:`jointinspect.data.codes.check_early`; ``filing.CHECK_APART_FROM``).

Only the standard library is imported here: whatever this module costs is paid before the
process can start.
"""

import os
from contextlib import AbstractContextManager, nullcontext

from jointinspect.data.codes.check_early import EarlyCheck, early_check

#: A SQLite database file smaller than this holds no district whose draft is checked in
#: a second process, and no process is started ahead for it: 50,000 visits and off-site
#: checks come with about 200,000 enterprises, whose database takes some 200 MB (650,000
#: take 630–700 MB). Between this and that, a process may be started and ended unused.
AHEAD_FROM_BYTES = 128 * 2**20
#: What the check's process imports while it waits: the check itself (it unpickles it).
CHECK_IMPORTS = ("jointinspect.rules",)


def check_process_ahead(db_url: str) -> AbstractContextManager[EarlyCheck | None]:
    """The check's process for a filing on ``db_url``, started now, or None (a small
    SQLite district, or one that is not there: the filing reports that). A database
    server's district is taken to be big: it costs a process that ends unused if not."""
    path = _sqlite_file(db_url)
    if path is not None:
        try:
            if os.path.getsize(path) < AHEAD_FROM_BYTES:
                return nullcontext(None)
        except OSError:
            return nullcontext(None)
    return early_check(CHECK_IMPORTS)


def _sqlite_file(db_url: str) -> str | None:
    """The file of a SQLite URL (``sqlite:///x.db``, ``sqlite+pysqlite:////abs/x.db``;
    an in-memory one: ``""``), or None for another database."""
    scheme, _, rest = db_url.partition("://")
    if scheme.split("+")[0] != "sqlite":
        return None
    return rest.removeprefix("/").split("?")[0]
