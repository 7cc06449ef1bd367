"""Filing a plan (备案) as a library call: the latest draft of a quarter, checked against
every hard rule, filed with inspection codes made by the district's key — and discarding
a draft that will not be filed."""

import datetime as dt
from collections.abc import Callable

from sqlalchemy.engine import Engine

from jointinspect import rules
from jointinspect.data.codes.check_early import EarlyCheck
from jointinspect.data.codes.filing import FilingResult, UnchangedPlanError, file_plan
from jointinspect.data.plans.drafts import NoDraftError, discard_drafts
from jointinspect.data.plans.lock import plans_lock
from jointinspect.data.plans.replan_store import interrupted_replan_draft
from jointinspect.models.errors import JointInspectError
from jointinspect.options import Options, load_keys

__all__ = [
    "FilingResult",
    "InterruptedReplanDraftError",
    "NoDraftError",
    "UnchangedPlanError",
    "discard_draft",
    "file_plan",
    "file_quarter",
]


#: A draft of this many visits and off-site checks or more is checked against the hard
#: rules in a second process while it is filed (``file_plan(check_apart_from=…)``): the
#: check of a 650,000-enterprise district's ~170,000 takes seconds, a process about one
#: to start.
CHECK_APART_FROM = 50_000


class InterruptedReplanDraftError(JointInspectError):
    """The draft was written by a replan that did not get to file it."""


def file_quarter(
    quarter: str,
    *,
    engine: Engine,
    options: Options | None = None,
    filed_by: str,
    now: dt.datetime | None = None,
    progress: Callable[[str], None] | None = None,
    early_check: EarlyCheck | None = None,
) -> FilingResult:
    """File the latest draft of ``quarter`` with the configured key (now, by default),
    refusing a draft that breaks a hard rule. A draft that plans exactly what is filed
    already is discarded (it would only block the next replan) and reported.
    ``progress`` is told each step, in words. ``early_check``: the hard-rule check's
    process, started before this was imported (:func:`jointinspect.filing_ahead`)."""
    options = options or Options()
    key = load_keys(options, engine).current
    if progress is not None:
        progress("waiting for the plans lock")
    with plans_lock(engine, timeout=options.lock_timeout):
        interrupted = interrupted_replan_draft(quarter, engine=engine)
        if interrupted is not None:
            raise InterruptedReplanDraftError(
                f"revision {interrupted} of {quarter} is the draft of a replan that was "
                "interrupted before filing it",
                hint=f"run `jointinspect replan --quarter {quarter}` again (it discards this "
                f"draft and replans), or `jointinspect discard --quarter {quarter}`",
            )
        try:
            return file_plan(
                quarter,
                engine=engine,
                key=key,
                filed_by=filed_by,
                now=now or dt.datetime.now(dt.UTC),
                check=rules.hard_rule_check(options),
                check_apart_from=CHECK_APART_FROM,
                early_check=early_check,
                progress=progress,
            )
        except UnchangedPlanError as exc:
            dropped = discard_drafts(quarter, engine=engine, missing_ok=True)
            shown = ", ".join(map(str, dropped))
            raise UnchangedPlanError(
                f"{exc}; the draft (revision {shown}) was discarded",
                hint="the filed revision stands; replan to take in new demands",
            ) from None


def discard_draft(quarter: str, *, engine: Engine, options: Options | None = None) -> list[int]:
    """Discard the unfiled draft of ``quarter``; return the numbers of the revisions dropped.

    Raises ``NoDraftError`` when the quarter has no draft (its filed revisions are the
    record and are never discarded)."""
    options = options or Options()
    with plans_lock(engine, timeout=options.lock_timeout):
        return discard_drafts(quarter, engine=engine)
