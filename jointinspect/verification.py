"""What an enterprise sees when it scans a code: verification, and its rating of the
visit (扫码评价), as library calls.

A code is checked in the district that issued it. In a city's database that is the
district the code names (read from the code alone): ``verify_in_database`` opens that
district for one code (``verify CODE``); a :class:`Verifier` holds every district open
with its keys, for a process that checks codes all day (``serve``). Both send a code
the same way (:func:`_route`): a code naming a district the database does not hold, or
naming none, is ``unknown`` there, never ``forged`` — it may be another database's.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from jointinspect.data.codes.feedback import (
    MAX_COMMENT_CHARS,
    AlreadyRatedError,
    CommentTooLongError,
    NotRateableError,
    Rating,
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
from jointinspect.database import database_districts, open_database, open_districts
from jointinspect.models.codes import MalformedCodeError, parse_code
from jointinspect.models.districts import District, district_of
from jointinspect.models.errors import JointInspectError
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
    "DistrictDesk",
    "KeyRing",
    "NotRateableError",
    "OneKeyForManyDistrictsError",
    "Rating",
    "RatingOutOfRangeError",
    "RatingTooEarlyError",
    "Verification",
    "Verifier",
    "find_rating",
    "named_district",
    "rating_window_open",
    "record_rating",
    "verification_json",
    "verify_code",
    "verify_in_database",
]


class OneKeyForManyDistrictsError(JointInspectError):
    """One key setting would stand for every district of a city, each of which has its own."""


def verify_in_database(code: str, *, url: str, options: Options | None = None) -> Verification:
    """Verify ``code`` in the database at ``url``: in a city's database, in the district
    the code names — with that district's keys and records, and the answer says which
    district issued it — else as ``verify_code`` does."""
    routed = _route(code, database_districts(url))
    if isinstance(routed, Verification):
        return routed
    engine = open_database(url, district=routed)
    try:
        return verify_code(code, engine=engine, keys=load_keys(options or Options(), engine))
    finally:
        engine.dispose()


@dataclass(frozen=True)
class DistrictDesk:
    """One district held open for checking codes: its engine and its keys (``district``
    None: a database without districts)."""

    district: District | None
    engine: Engine
    keys: KeyRing


class Verifier:
    """Checks codes, and records the ratings of their visits, in a database held open:
    every district of a city's database with its own keys, each code in the district it
    names (as :func:`verify_in_database`); a database without districts as it always was.

    Opened once for a long-lived process (:meth:`open`) and closed with it; one made
    from an engine and its keys (:meth:`single`) checks every code there, as
    ``verify_code`` does, and leaves the engine to its owner.
    """

    def __init__(self, desks: Sequence[DistrictDesk], *, route: bool, owned: bool) -> None:
        """``route``: every desk is a district's, and each code goes to the one it names;
        else the one desk checks every code. ``owned``: :meth:`close` disposes of the
        engines."""
        named = {desk.district.code: desk for desk in desks if desk.district is not None}
        if (len(named) != len(desks) or not desks) if route else len(desks) != 1:
            raise ValueError("route codes between districts, or check them all in one")
        self._desks = dict(sorted(named.items())) if route else {}
        self._held = [desk.district for desk in self._desks.values() if desk.district]
        self._only = None if route else desks[0]
        self._all = list(desks)
        self._owned = owned

    @classmethod
    def open(cls, url: str, options: Options | None = None) -> "Verifier":
        """Every district of the database at ``url`` (or its one unnamed district) with
        its keys, checked as the commands check them. A key file or key setting is one
        district's key: with several districts it is an error, not a key for all."""
        chosen = options or Options()
        engines = open_districts(url) or [open_database(url)]
        try:
            if len(engines) > 1 and (chosen.key_file is not None or chosen.key is not None):
                where = (
                    f"the key file {chosen.key_file}" if chosen.key is None else chosen.key_origin
                )
                raise OneKeyForManyDistrictsError(
                    f"{where} is one district's key, and the database holds {len(engines)} "
                    "districts, each with a key of its own",
                    hint="leave JOINTINSPECT_KEY_FILE and JOINTINSPECT_KEY unset: each "
                    "district's key is read from its own file (ji.310120.key beside a SQLite "
                    "city, CONFIG_DIR/HOST-PORT-DATABASE-310120.key for a server)",
                )
            desks = [DistrictDesk(district_of(e), e, load_keys(chosen, e)) for e in engines]
        except BaseException:
            for engine in engines:
                engine.dispose()
            raise
        return cls(desks, route=desks[0].district is not None, owned=True)

    @classmethod
    def single(cls, engine: Engine, keys: KeyRing) -> "Verifier":
        """Every code checked in ``engine``'s database (one district's, or an unnamed
        one) with ``keys``; the engine stays its owner's to dispose of."""
        return cls([DistrictDesk(district_of(engine), engine, keys)], route=False, owned=False)

    @property
    def districts(self) -> list[District]:
        """The districts whose codes are checked here, by code (none: an unnamed one)."""
        return [desk.district for desk in self._all if desk.district is not None]

    def serves(self, named: str | None) -> bool:
        """Whether a code naming district ``named`` (None: no district) is checked here."""
        if self._only is not None:
            here = self._only.district
            return named == (here.code if here else None)
        return named in self._desks

    def desk(self, code: str) -> DistrictDesk | Verification:
        """The district that checks ``code``, or the answer for a code that no district
        here can check (malformed, or naming a district not held)."""
        if self._only is not None:
            return self._only  # verify_code says what a code of another district is there
        routed = _route(code, self._held)
        if isinstance(routed, Verification):
            return routed
        assert routed is not None  # a city's code goes to one of its districts
        return self._desks[routed]

    def verify(self, code: str) -> Verification:
        """``code`` checked in the district that issued it."""
        desk = self.desk(code)
        if isinstance(desk, Verification):
            return desk
        return verify_code(code, engine=desk.engine, keys=desk.keys)

    def find_rating(self, code: str) -> Rating | None:
        """The rating stored for ``code`` (grouped form) in its district, if any."""
        desk = self.desk(code)
        return None if isinstance(desk, Verification) else find_rating(code, engine=desk.engine)

    def record_rating(
        self, code: str, rating: int, comment: str | None, *, today: dt.date
    ) -> Rating:
        """Store the rating of ``code``'s visit in the district that issued the code,
        checking every rule (``record_rating``)."""
        desk = self.desk(code)
        if isinstance(desk, Verification):
            raise NotRateableError(
                f"only a valid code of an on-site visit can be rated; this code is {desk.status}"
            )
        return record_rating(code, rating, comment, engine=desk.engine, keys=desk.keys, today=today)

    def close(self) -> None:
        """Dispose of the engines :meth:`open` made (a :meth:`single` one is its owner's)."""
        if self._owned:
            for desk in self._all:
                desk.engine.dispose()


def named_district(code: str) -> str | None:
    """The district ``code`` names, as ``310101 黄浦区`` (Shanghai's are known by name;
    another by its area code); None for a code that names none or is not a code."""
    try:
        named = parse_code(code).district
    except MalformedCodeError:
        return None
    if named is None:
        return None
    known = BY_CODE.get(named)
    return known.label if known else named


def _route(code: str, held: Sequence[District]) -> str | Verification | None:
    """Where ``code`` is checked in a database holding ``held``: the area code of the
    district it names; None in a database without districts (``verify_code`` checks
    there); or, for a code that no district of ``held`` can check, the answer."""
    if not held:
        return None
    try:
        parsed = parse_code(code)
    except MalformedCodeError as exc:
        return Verification(MALFORMED, code.strip(), str(exc))
    if parsed.district is None or parsed.district not in {d.code for d in held}:
        return Verification(UNKNOWN, parsed.display, _not_held(parsed.district, list(held)))
    return parsed.district


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
