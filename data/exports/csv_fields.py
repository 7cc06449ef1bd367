"""CSV fields made the way :func:`csv.writer` makes them, for text built from pieces.

A district's grades CSV is 650,000 rows whose reasons cell joins a few of some sixty
thousand distinct wordings. ``csv.writer`` scans every character of every cell to decide
its quoting: seconds at that size. Whether a field needs quotes, and its quotes doubled,
depend only on which characters it holds, so both can be worked out once per wording and
combined per cell (:class:`CsvQuoting`). The rules are the dialect's own (QUOTE_MINIMAL
with doubled quotes: the ``excel`` dialect's), and a test holds the result equal to what
``csv.writer`` writes for the same fields.
"""

import csv
from dataclasses import dataclass


class UnsupportedDialectError(ValueError):
    """Only QUOTE_MINIMAL with doubled quotes and no escape character is supported."""


@dataclass(frozen=True)
class CsvQuoting:
    """A dialect's quoting: which characters make a field quoted, and the quote."""

    special: frozenset[str]
    quote: str
    delimiter: str
    lineterminator: str

    @classmethod
    def of(cls, dialect: type[csv.Dialect]) -> "CsvQuoting":
        if (
            dialect.quoting != csv.QUOTE_MINIMAL
            or not dialect.doublequote
            or dialect.escapechar is not None
            or dialect.quotechar is None
            or dialect.delimiter is None
            or dialect.lineterminator is None
        ):
            raise UnsupportedDialectError(
                f"cannot assemble fields of the {dialect.__name__} dialect"
            )
        # The characters _csv quotes a field for: the delimiter, the quote, and any
        # character of the line terminator, CR and LF always (Python 3.12 on).
        special = frozenset({dialect.delimiter, dialect.quotechar, "\r", "\n"})
        return cls(
            special | frozenset(dialect.lineterminator),
            dialect.quotechar,
            dialect.delimiter,
            dialect.lineterminator,
        )

    def needs_quotes(self, text: str) -> bool:
        return not self.special.isdisjoint(text)

    def escaped(self, text: str) -> str:
        """``text`` as it stands between the quotes of a quoted field."""
        return text.replace(self.quote, self.quote * 2)

    def field(self, text: str) -> str:
        """``text`` as one field of a row, quoted where the dialect quotes it."""
        if self.needs_quotes(text):
            return f"{self.quote}{self.escaped(text)}{self.quote}"
        return text


EXCEL = CsvQuoting.of(csv.excel)
