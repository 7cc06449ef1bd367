"""Modules a command needs later, imported while it waits on the database.

OR-Tools (with the pandas it loads) and networkx take 0.4 s of one core to import, and a
plan needs them only once its visits are placed. Reading a district, the plan spends
most of its time in SQLite, which releases the GIL while it runs a query: an import in a
thread of its own takes that time instead of the plan's. What the thread has imported
the later import finds in ``sys.modules``; one it is still importing, the later import
waits for (Python's per-module import lock), as it would have imported it anyway.

An import that fails in the thread is left to fail again where the module is needed,
with the caller's traceback and handling.
"""

import importlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def imported_ahead(*modules: str) -> Iterator[None]:
    """Import ``modules`` in a thread while the block runs; the thread has ended when the
    block does (an import not finished by then is waited for: the caller needed it next)."""
    thread = threading.Thread(target=_import_all, args=(modules,), name="imports-ahead")
    thread.start()
    try:
        yield
    finally:
        thread.join()


def _import_all(modules: tuple[str, ...]) -> None:
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # raised again where the module is imported, and handled there
            return
