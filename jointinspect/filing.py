"""Filing a plan (备案) as a library call: the latest draft of a quarter, checked against
every hard rule, filed with inspection codes made by the district's key."""

import datetime as dt

from sqlalchemy.engine import Engine

from jointinspect import rules
from jointinspect.data.codes.filing import FilingResult, UnchangedPlanError, file_plan
from jointinspect.options import Options, load_keys

__all__ = ["FilingResult", "UnchangedPlanError", "file_plan", "file_quarter"]


def file_quarter(
    quarter: str,
    *,
    engine: Engine,
    options: Options | None = None,
    filed_by: str,
    now: dt.datetime | None = None,
) -> FilingResult:
    """File the latest draft of ``quarter`` with the configured key (now, by default),
    refusing a draft that breaks a hard rule."""
    options = options or Options()
    return file_plan(
        quarter,
        engine=engine,
        key=load_keys(options).current,
        filed_by=filed_by,
        now=now or dt.datetime.now(dt.UTC),
        check=rules.hard_rule_check(options),
    )
