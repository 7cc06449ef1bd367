"""The enterprise's rating of a visit (扫码评价): one rating per code, from the visit day on.

Only the holder of a valid code for an on-site visit may rate it; an off-site check has no
visit to rate, and a revoked code's visit did not take place as filed. Ratings land in the
``feedback`` table, the same one ``feedback.csv`` imports into, keyed by the code in its
grouped form.
"""

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from jointinspect.data.codes.keys import KeyRing
from jointinspect.data.codes.verification import VALID, Verification, verify_code
from jointinspect.models import Feedback, session_scope
from jointinspect.models.errors import JointInspectError

MIN_RATING = 1
MAX_RATING = 5
#: Enough for a few sentences on a phone; longer text is more likely abuse than feedback.
MAX_COMMENT_CHARS = 500


class RatingOutOfRangeError(JointInspectError):
    """A rating is not a whole number from 1 to 5."""


class CommentTooLongError(JointInspectError):
    """A rating's comment is longer than the limit."""


class NotRateableError(JointInspectError):
    """The code is not a valid code of an on-site visit, so there is nothing to rate."""


class RatingTooEarlyError(JointInspectError):
    """The visit has not happened yet: its date is still ahead."""


class AlreadyRatedError(JointInspectError):
    """The visit of this code has been rated already (one rating per code)."""


@dataclass(frozen=True)
class Rating:
    """A rating as stored."""

    code: str
    rating: int
    date: dt.date
    comment: str | None


def rating_window_open(verification: Verification, *, today: dt.date) -> bool:
    """True when the code's visit may be rated today: a valid on-site visit, on or after
    its date (the visit takes place that day, so the enterprise may rate it once it is)."""
    return (
        verification.status == VALID
        and verification.kind == "visit"
        and verification.date is not None
        and today >= verification.date
    )


def find_rating(code: str, *, engine: Engine) -> Rating | None:
    """The rating stored for ``code`` (grouped form, as verification shows it), if any."""
    with session_scope(engine) as session:
        row = session.get(Feedback, code)
        if row is None:
            return None
        return Rating(row.code, row.rating, row.date, row.comment)


def record_rating(
    code: str,
    rating: int,
    comment: str | None,
    *,
    engine: Engine,
    keys: KeyRing,
    today: dt.date,
) -> Rating:
    """Store the enterprise's rating of the visit ``code`` is for, checking every rule."""
    if not MIN_RATING <= rating <= MAX_RATING:
        raise RatingOutOfRangeError(
            f"a rating is a whole number from {MIN_RATING} to {MAX_RATING}, not {rating}"
        )
    text = (comment or "").strip() or None
    if text is not None and len(text) > MAX_COMMENT_CHARS:
        raise CommentTooLongError(
            f"a comment has at most {MAX_COMMENT_CHARS} characters, this one has {len(text)}"
        )
    verification = verify_code(code, engine=engine, keys=keys)
    if verification.status != VALID or verification.kind != "visit":
        raise NotRateableError(
            f"only a valid code of an on-site visit can be rated; this code is "
            f"{verification.status}" + (" (an off-site check)" if verification.kind else "")
        )
    assert verification.date is not None  # a valid visit always has its date
    if today < verification.date:
        raise RatingTooEarlyError(
            f"the visit is on {verification.date.isoformat()}; rate it from that day on"
        )
    stored = Rating(verification.code, rating, today, text)
    try:
        with session_scope(engine) as session:
            if session.get(Feedback, stored.code) is not None:
                raise AlreadyRatedError(f"the visit of {stored.code} has been rated already")
            session.add(
                Feedback(code=stored.code, rating=rating, date=today, comment=stored.comment)
            )
    except IntegrityError:
        # Two submissions raced past the check above: the primary key keeps one of them.
        raise AlreadyRatedError(f"the visit of {stored.code} has been rated already") from None
    return stored
