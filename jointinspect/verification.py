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
from jointinspect.data.districts.registry import describe
from jointinspect.data.districts.shanghai import BY_CODE
from jointinspect.database import database_districts, open_database
from jointinspect.models.codes import MalformedCodeError, parse_code
from jointinspect.models.districts import District
from jointinspect.options import Options, load_keys

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
    "verify_in_database",
]


def verify_in_database(code: str, *, url: str, options: Options | None = None) -> Verification:
    """Verify ``code`` in the database at ``url``: in a city's database, in the district
    the code names — with that district's keys and records, and the answer says which
    district issued it — else as ``verify_code`` does."""
    districts = {d.code: d for d in database_districts(url)}
    district = None
    if districts:
        try:
            district = parse_code(code).district
        except MalformedCodeError as exc:
            return Verification(MALFORMED, code.strip(), str(exc))
        if district is None or district not in districts:
            shown = code.strip().upper()
            return Verification(UNKNOWN, shown, _not_held(district, list(districts.values())))
    engine = open_database(url, district=district)
    try:
        return verify_code(code, engine=engine, keys=load_keys(options or Options(), engine))
    finally:
        engine.dispose()


def _not_held(named: str | None, districts: list[District]) -> str:
    if named is None:
        return (
            "this code names no district, and every code of this city's database "
            f"({describe(districts)}) names its district: it was not issued here"
        )
    known = BY_CODE.get(named)
    label = known.label if known else named
    return (
        f"this code names district {label}, which this database does not hold "
        f"({describe(districts)}): ask that district"
    )
