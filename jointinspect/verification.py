"""What an enterprise sees when it scans a code: verification, and its rating of the
visit (扫码评价), as library calls."""

from jointinspect.data.codes.feedback import (
    MAX_COMMENT_CHARS,
    AlreadyRatedError,
    CommentTooLongError,
    NotRateableError,
    RatingOutOfRangeError,
    RatingTooEarlyError,
    find_rating,
    rating_window_open,
    record_rating,
)
from jointinspect.data.codes.keys import KeyRing
from jointinspect.data.codes.verification import (
    FORGED,
    MALFORMED,
    REVOKED,
    UNKNOWN,
    VALID,
    Verification,
    verification_json,
    verify_code,
)

__all__ = [
    "FORGED",
    "MALFORMED",
    "MAX_COMMENT_CHARS",
    "REVOKED",
    "UNKNOWN",
    "VALID",
    "AlreadyRatedError",
    "CommentTooLongError",
    "KeyRing",
    "NotRateableError",
    "RatingOutOfRangeError",
    "RatingTooEarlyError",
    "Verification",
    "find_rating",
    "rating_window_open",
    "record_rating",
    "verification_json",
    "verify_code",
]
