"""A big draft's hard-rule check runs in a second process while it is filed
(``data.codes.check_apart``): the same filing as a check in the filing's own process,
the same refusals with nothing written, and the check done here when that process gives
no verdict."""

import datetime as dt
import multiprocessing
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

import pytest
from helpers import city_world
from helpers.codes_processes import counted_codes_processes
from helpers.replan_world import QUARTER, World, copy_world, drop_a_drawn_check
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

import jointinspect.data.codes.filing as filing_module
import jointinspect.filing as filing_api
from jointinspect.data.bundle.errors import CalendarFileInvalid
from jointinspect.data.codes.check_apart import HardRuleCheck, Verdict, check_apart
from jointinspect.data.codes.check_early import EarlyCheck, early_check
from jointinspect.data.codes.filing import FilingResult, HardRuleViolationError, file_plan
from jointinspect.database import open_database
from jointinspect.filing import file_quarter
from jointinspect.filing_ahead import CHECK_IMPORTS
from jointinspect.models import make_engine
from jointinspect.models.codes import CodeKey
from jointinspect.options import Options
from jointinspect.planning import plan_quarter
from jointinspect.rules import hard_rule_check

NOW = dt.datetime(2025, 9, 25, tzinfo=dt.UTC)
SEED = "apart"


@pytest.fixture
def verdicts(monkeypatch: pytest.MonkeyPatch) -> list[list[str] | None]:
    """Every big draft checked apart (the threshold lowered to one row), and what each
    check's process answered (None: no verdict, checked in the filing's process)."""
    seen: list[list[str] | None] = []
    real = check_apart

    @contextmanager
    def spy(
        check: HardRuleCheck, engine: Engine, revision_id: int, early: EarlyCheck | None = None
    ) -> Iterator[Verdict | None]:
        with real(check, engine, revision_id, early) as verdict:
            if verdict is None:
                yield None
                return

            def recorded() -> list[str] | None:
                answer = verdict()
                seen.append(answer)
                return answer

            yield recorded

    monkeypatch.setattr(filing_module, "check_apart", spy)
    monkeypatch.setattr(filing_api, "CHECK_APART_FROM", 1)
    return seen


def _plan(world: World, engine: Engine, seed: str = SEED) -> None:
    plan_quarter(str(QUARTER), seed, engine=engine, options=world.settings().options(), now=NOW)


def _file(world: World, engine: Engine, said: list[str] | None = None, **settings: Any) -> None:
    file_quarter(
        str(QUARTER),
        engine=engine,
        options=world.settings(**settings).options(),
        filed_by="t",
        now=NOW,
        progress=None if said is None else said.append,
    )


def _filed_state(engine: Engine) -> list[list[tuple[Any, ...]]]:
    """Everything filing writes: revisions' status, rows' codes, the codes' records."""
    with engine.connect() as conn:
        return [
            list(conn.execute(text(query)))
            for query in (
                "SELECT id, revision, status, filed_at, filed_by FROM plan_revision ORDER BY id",
                "SELECT id, code FROM visit ORDER BY id",
                "SELECT id, code FROM offsite_check ORDER BY id",
                "SELECT code, revision_id, visit_id, offsite_id, status, replaced_by "
                "FROM inspection_code ORDER BY code",
            )
        ]


def test_a_draft_checked_apart_is_filed_as_one_checked_here(
    filed_template: World,
    filed_world: World,
    filed_engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    verdicts: list[list[str] | None],
) -> None:
    (tmp_path / "here").mkdir()
    here = copy_world(filed_template, tmp_path / "here", district=tmp_path / "here")
    here_engine = make_engine(here.url)
    # Every draft's codes would be made in a process of their own, but for the check's.
    codes_processes = counted_codes_processes(monkeypatch)
    try:
        for world, engine in ((filed_world, filed_engine), (here, here_engine)):
            _plan(world, engine)
        said: list[str] = []
        _file(filed_world, filed_engine, said)
        assert verdicts == [[]], "the draft was not checked in a process of its own"
        # Beside the check's process, a third for the codes only shared two cores.
        assert codes_processes == [], "the codes were made in a third process"
        assert said[:2] == [
            "waiting for the plans lock",
            "checking revision 2 against the hard rules, in a second process",
        ]
        assert said[-1] == "waiting for the hard-rule check"
        monkeypatch.setattr(filing_api, "CHECK_APART_FROM", None)
        _file(here, here_engine)
        assert len(verdicts) == 1
        assert len(codes_processes) == 1, "checked here, the codes go to a second process"
        assert _filed_state(filed_engine) == _filed_state(here_engine)
    finally:
        here_engine.dispose()
    assert multiprocessing.active_children() == []


def test_a_draft_refused_apart_leaves_the_database_as_it_was(
    filed_world: World, filed_engine: Engine, verdicts: list[list[str] | None]
) -> None:
    _plan(filed_world, filed_engine)
    drop_a_drawn_check(filed_engine)
    before = _filed_state(filed_engine)
    with pytest.raises(HardRuleViolationError, match="is not in the plan"):
        _file(filed_world, filed_engine)
    assert len(verdicts) == 1 and verdicts[0], "the refusal did not come from the process"
    assert _filed_state(filed_engine) == before


def test_an_error_in_the_checks_process_is_raised_by_the_filing(
    filed_world: World,
    filed_engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    verdicts: list[list[str] | None],
) -> None:
    _plan(filed_world, filed_engine)
    before = _filed_state(filed_engine)
    broken = tmp_path / "gone.toml"  # no such file
    # The calendar is read by the check, in its process: the error, its words and its hint
    # are the ones the check gives in the filing's own process.
    with pytest.raises(CalendarFileInvalid) as apart:
        _file(filed_world, filed_engine, calendar_file=broken)
    assert verdicts == []
    monkeypatch.setattr(filing_api, "CHECK_APART_FROM", None)
    with pytest.raises(CalendarFileInvalid) as here:
        _file(filed_world, filed_engine, calendar_file=broken)
    assert (str(apart.value), apart.value.hint) == (str(here.value), here.value.hint)
    assert apart.value.hint
    assert _filed_state(filed_engine) == before


class _DiesApart:
    """The hard-rule check, but its process dies before it answers; ``calls`` counts the
    checks made in the filing's own process."""

    calls: ClassVar[list[int]] = []

    def __init__(self, check: HardRuleCheck, parent: int) -> None:
        self.check = check
        self.parent = parent

    def __call__(self, session: Session, revision_id: int) -> Sequence[str]:
        if os.getpid() != self.parent:
            os._exit(3)
        _DiesApart.calls.append(revision_id)
        return self.check(session, revision_id)


def test_when_the_checks_process_dies_the_filing_checks_itself(
    filed_world: World, filed_engine: Engine, verdicts: list[list[str] | None]
) -> None:
    _plan(filed_world, filed_engine)
    check = _DiesApart(hard_rule_check(filed_world.settings().options()), os.getpid())
    _DiesApart.calls.clear()
    result = _file_plan(filed_engine, check, None)
    assert verdicts == [None]
    assert _DiesApart.calls == [result.revision_id]
    assert result.codes_issued + result.codes_kept > 0


def test_a_draft_filed_before_the_verdict_is_not_waited_for(
    filed_world: World, filed_engine: Engine, verdicts: list[list[str] | None]
) -> None:
    # The filed revision planned again with its own seed: nothing to file, said at once;
    # the check's process is ended, not waited for.
    filed_seed = _seed_of_filed(filed_engine)
    _plan(filed_world, filed_engine, filed_seed)
    with pytest.raises(filing_module.UnchangedPlanError):
        _file(filed_world, filed_engine)
    assert verdicts == []
    assert multiprocessing.active_children() == []


def _seed_of_filed(engine: Engine) -> str:
    with engine.connect() as conn:
        seed = conn.execute(text("SELECT seed FROM plan_revision WHERE status = 'filed'")).scalar()
    assert isinstance(seed, str)
    return seed


@pytest.mark.parametrize(
    "database", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_a_districts_draft_is_checked_apart_in_its_own_tables(
    database: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    verdicts: list[list[str] | None],
) -> None:
    url = (
        f"sqlite:///{tmp_path / 'ji.db'}"
        if database == "sqlite"
        else str(request.getfixturevalue("pg_url"))
    )
    options = Options(config_dir=tmp_path / "config")
    city = city_world.generate(tmp_path / "city", 2)
    code = city_world.build_city(url, city, options)[1]
    engine = open_database(url, district=code)
    try:
        plan_quarter(str(city_world.QUARTER), city_world.SEED, engine=engine, options=options)
        filed = file_quarter(str(city_world.QUARTER), engine=engine, options=options, filed_by="t")
    finally:
        engine.dispose()
    assert verdicts == [[]]
    assert filed.codes_issued > 0


class _SaysWhere:
    """A check that finds one violation: the process it ran in."""

    def __call__(self, session: Session, revision_id: int) -> Sequence[str]:
        return [f"checked in process {os.getpid()}"]


def _file_plan(engine: Engine, check: HardRuleCheck, early: EarlyCheck | None) -> FilingResult:
    return file_plan(
        str(QUARTER),
        engine=engine,
        key=CodeKey("k1", b"k" * 32),
        filed_by="t",
        now=NOW,
        check=check,
        check_apart_from=1,
        early_check=early,
    )


def test_a_check_process_started_ahead_checks_the_draft(
    filed_world: World, filed_engine: Engine, verdicts: list[list[str] | None]
) -> None:
    _plan(filed_world, filed_engine)
    before = _filed_state(filed_engine)
    with early_check(CHECK_IMPORTS) as early:
        assert early is not None
        with pytest.raises(HardRuleViolationError) as refused:
            _file_plan(filed_engine, _SaysWhere(), early)
        assert f"checked in process {early.process.pid}" in str(refused.value)
    assert verdicts == [[f"checked in process {early.process.pid}"]]
    assert _filed_state(filed_engine) == before
    assert multiprocessing.active_children() == []


def test_a_check_process_started_ahead_and_not_needed_is_ended(
    filed_world: World, filed_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    _plan(filed_world, filed_engine)
    monkeypatch.setattr(filing_api, "CHECK_APART_FROM", None)  # a small draft: checked here
    taken: list[object] = []
    monkeypatch.setattr(EarlyCheck, "take", lambda self, job: taken.append(job))
    with early_check(CHECK_IMPORTS) as early:
        assert early is not None
        file_quarter(
            str(QUARTER),
            engine=filed_engine,
            options=filed_world.settings().options(),
            filed_by="t",
            now=NOW,
            early_check=early,
        )
    assert taken == []
    assert not early.process.is_alive()
    assert multiprocessing.active_children() == []


def test_a_check_process_given_a_check_it_cannot_take_is_replaced(
    filed_world: World, filed_engine: Engine, verdicts: list[list[str] | None]
) -> None:
    _plan(filed_world, filed_engine)
    with early_check(CHECK_IMPORTS) as early:
        assert early is not None
        early.process.terminate()
        early.process.join()
        # Gone before it was given the check: a process of its own checks instead.
        with pytest.raises(HardRuleViolationError) as refused:
            _file_plan(filed_engine, _SaysWhere(), early)
        assert f"checked in process {early.process.pid}" not in str(refused.value)
    assert len(verdicts) == 1 and verdicts[0] and "checked in process" in verdicts[0][0]
