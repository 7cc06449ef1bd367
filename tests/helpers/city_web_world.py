"""A city's database of two districts, each with the sample plan filed under its own key,
for the tests of ``serve`` on a city: a valid visit code of each district, and codes the
site must turn away — forged in a district it holds, naming a district it does not hold,
naming no district at all.

The two districts hold the same sample plan, but the bakery (the first visit's
enterprise) has a name of its own in each, so a page shows whose records it read.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from helpers.plan_factory import USCC, sample_plan
from helpers.web_world import FILED_AT, STRAY
from jointinspect.data.codes.filing import file_plan
from jointinspect.data.plans.document import load_plan_document
from jointinspect.database import open_database
from jointinspect.districts import init_district
from jointinspect.models import Enterprise, session_scope
from jointinspect.models.codes import CodeKey, issue_code
from jointinspect.options import Options, load_keys

#: 徐汇区 and 奉贤区; 黄浦区 (310101) is a Shanghai district the city does not hold.
DISTRICTS = {"310104": "徐汇区", "310120": "奉贤区"}
NOT_HELD = "310101"
#: A secret no district of the city has.
STRANGER = bytes.fromhex("a5" * 32)


@dataclass(frozen=True)
class CityWebWorld:
    url: str
    options: Options
    #: Each district's valid code of the bakery's joint visit, by area code.
    valid: dict[str, str]
    #: The bakery's name in each district.
    bakery: dict[str, str]
    visit_date: dt.date
    forged: str  # names 310120, made with a key that is not its
    not_held: str  # names 310101, which the city does not hold
    unnamed: str  # a database without districts' code: names none


def _no_violations(_session: object, _revision_id: int) -> list[str]:
    return []


def build_city_web(
    url: str, config_dir: Path, districts: Sequence[str] = tuple(DISTRICTS)
) -> CityWebWorld:
    """The city of ``districts`` at ``url`` (made here), the key files of a server
    database in ``config_dir``."""
    options = Options(config_dir=config_dir)
    valid: dict[str, str] = {}
    bakery: dict[str, str] = {}
    visit_date = None
    for code in districts:
        name = DISTRICTS[code]
        init_district(url, code, options=options)
        engine = open_database(url, district=code)
        try:
            revision_id = sample_plan(engine)
            with session_scope(engine) as session:
                firm = session.get(Enterprise, USCC[0])
                assert firm is not None
                firm.name = bakery[code] = f"{name}的面包店"
            file_plan(
                "2025Q3",
                engine=engine,
                key=load_keys(options, engine).current,
                filed_by="t",
                now=FILED_AT,
                check=_no_violations,
            )
            with session_scope(engine) as session:
                filed = load_plan_document(session=session, revision_id=revision_id)
        finally:
            engine.dispose()
        visit = next(v for v in filed.visits if v.uscc == USCC[0])
        valid[code], visit_date = visit.code or "", visit.date
    assert visit_date is not None
    return CityWebWorld(
        url=url,
        options=options,
        valid=valid,
        bakery=bakery,
        visit_date=visit_date,
        forged=issue_code(STRAY, CodeKey("k1", STRANGER, district="310120")),
        not_held=issue_code(STRAY, CodeKey("k1", STRANGER, district=NOT_HELD)),
        unnamed=issue_code(STRAY, CodeKey("k1", STRANGER)),
    )
