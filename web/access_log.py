"""The access log keeps only the start of an inspection code.

A whole code in a log is a working link to the visit it is for: the enterprise, the date,
the officers' names and certificate numbers; and a log travels further than the database
(log shippers, support tickets). The first characters still let an operator match a
complaint ("my code starting APME… did not work") to its requests.

``serve`` hangs :class:`ShortenCodes` on uvicorn's ``uvicorn.access`` logger through its
logging configuration, so every worker process has it.
"""

import logging
import re

#: How many characters of a code the log keeps: the key character and three of the
#: binding, nothing of the tag that makes a code unguessable.
KEPT = 4
ELLIPSIS = "…"
# A code sits in a path after /v/ or /api/verify/, or in the home form's ?code=.
_IN_PATH = re.compile(r"(/v/|/api/verify/)([^/?#]+)")
_IN_QUERY = re.compile(r"([?&]code=)([^&#]*)")


def _shorten(match: re.Match[str]) -> str:
    text = match.group(2)
    return match.group(1) + (text[:KEPT] + ELLIPSIS if len(text) > KEPT else text)


def shorten_codes(path: str) -> str:
    """``path`` (with its query) with every code cut to its first characters and "…"."""
    return _IN_QUERY.sub(_shorten, _IN_PATH.sub(_shorten, path))


class ShortenCodes(logging.Filter):
    """Shortens the codes in the path of uvicorn's access log records."""

    def filter(self, record: logging.LogRecord) -> bool:
        # uvicorn logs (client, method, path with query, HTTP version, status).
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            record.args = (args[0], args[1], shorten_codes(args[2]), args[3], args[4])
        return True
