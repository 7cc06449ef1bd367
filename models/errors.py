"""The root of the project's exceptions. Each package defines one class per condition
(with a one-line docstring) below it; the CLI turns them into ``Error: …`` and a hint."""


class JointInspectError(Exception):
    """Something the user can fix went wrong; the message says what and ``hint`` how."""

    hint: str | None = None

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        if hint is not None:
            self.hint = hint
