"""What can go wrong when a bundle is imported (spec §1), one exception per condition.

A problem is always reported as ``file:line: column: message``. Line 0 stands for the file
as a whole (a missing file) and ``-`` for the row as a whole (a row with the wrong number of
cells, a file that is not UTF-8), so that every line keeps the same four-part shape.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from jointinspect.models.errors import JointInspectError

#: The column part of a problem that concerns a whole row or file.
WHOLE_ROW = "-"
#: The line part of a problem that concerns a whole file.
WHOLE_FILE = 0


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    """One thing wrong (or worth a warning) in a bundle, located by file, line and column."""

    file: str
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.column}: {self.message}"


class BundleNotFound(JointInspectError):
    """The bundle folder does not exist or is not a folder."""


class BundleInvalid(JointInspectError):
    """The bundle has problems; nothing was imported. Carries every problem found."""

    def __init__(self, problems: Sequence[Problem], warnings: Sequence[Problem] = ()) -> None:
        self.problems = tuple(problems)
        self.warnings = tuple(warnings)
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(
            f"the bundle has {count} {noun}; nothing was imported",
            hint="fix every line listed (file:line: column: message) and import again",
        )


class CalendarFileInvalid(JointInspectError):
    """The working-day calendar override file cannot be read or holds a bad entry."""
