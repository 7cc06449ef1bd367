"""Districts as library calls: add a district to a city's database with its code key,
list a database's districts, and generate a synthetic city.

A district is opened like any database, by ``open_database(url, district=CODE)``
(``jointinspect.database``); every workflow then works on that district alone — its
tables, its key (``ji.310120.key``, bound to the district by fingerprint), its plans
lock, its plan ids — and the codes it files name it (``models.codes``; verifying a code
in whichever district it names is ``verification.verify_in_database``). Fanning a
workflow out over every district is ``jointinspect.city``.
"""

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from jointinspect.data.codes.key_registry import registered_keys
from jointinspect.data.districts.shanghai import BY_CODE
from jointinspect.data.synthetic.city import GeneratedCity, generate_city
from jointinspect.database import create_district, database_districts, open_database
from jointinspect.models.codes import key_fingerprint
from jointinspect.models.districts import District, check_area_code, check_prefix
from jointinspect.models.errors import JointInspectError
from jointinspect.options import (
    KeySetup,
    Options,
    configured_keys,
    init_keys,
    key_file_for,
)

__all__ = [
    "District",
    "DistrictSetup",
    "GeneratedCity",
    "SharedKeyError",
    "UnnamedDistrictError",
    "database_districts",
    "generate_city",
    "init_district",
]


class UnnamedDistrictError(JointInspectError):
    """A district outside Shanghai's table was added without its name."""


class SharedKeyError(JointInspectError):
    """A district would be given a key another district of the city has."""


@dataclass(frozen=True)
class DistrictSetup:
    """What ``init --district`` did: the district and its key."""

    district: District
    database: str
    keys: KeySetup


def init_district(
    url: str,
    code: str,
    *,
    options: Options | None = None,
    name: str | None = None,
    prefix: str | None = None,
) -> DistrictSetup:
    """Add district ``code`` to the city's database at ``url`` (made if need be) with its
    code key, or check the key of one it holds already. Shanghai's districts are known by
    code; another needs its ``name`` (its plan ids then start with its code, unless
    ``prefix`` says otherwise)."""
    check_area_code(code)
    known = BY_CODE.get(code)
    if name is None and known is None:
        raise UnnamedDistrictError(
            f"district {code} is not one of Shanghai's, whose names are known: give its name",
            hint=f"jointinspect init --district {code} --district-name NAME",
        )
    district = District(
        code,
        name or (known.name if known else code),
        check_prefix(prefix or (known.prefix if known else code)),
    )
    chosen = options or Options()
    engine = create_district(url, district)
    try:
        _check_own_key(url, chosen, engine, district)
        keys = init_keys(chosen, engine)
        shown = engine.url.render_as_string(hide_password=True)
    finally:
        engine.dispose()
    return DistrictSetup(district, shown, keys)


def _check_own_key(url: str, options: Options, engine: Engine, district: District) -> None:
    """Refuse a key that another district of the city registered: a key file or key
    setting left pointing at one district's key would give every district that key."""
    if options.key is None and not key_file_for(options, engine).exists():
        return  # init makes a new key file, this district's own
    ring, origin = configured_keys(options, engine)
    ours = {key_fingerprint(k) for k in ring.keys}
    for other in database_districts(url):
        if other.code == district.code:
            continue
        theirs = open_database(url, district=other.code)
        try:
            with theirs.connect() as conn:
                shared = ours & set(registered_keys(conn).values())
        finally:
            theirs.dispose()
        if shared:
            raise SharedKeyError(
                f"{origin} holds a key of district {other.label}: each district has its own",
                hint="leave JOINTINSPECT_KEY_FILE and JOINTINSPECT_KEY unset for init "
                f"--district {district.code} (it makes the district's own key file)",
            )
