"""Filing checks a draft's 双随机 draw by the record kept with it (``plan_revision.draw``)
when nothing the draw depends on changed, and draws again otherwise — the same verdict
either way."""

import datetime as dt
import json
from concurrent.futures import ProcessPoolExecutor

import pytest
from helpers.replan_world import QUARTER, World, drop_a_drawn_check
from sqlalchemy import text
from sqlalchemy.engine import Engine

import jointinspect.planning as planning
from jointinspect.data.codes.filing import HardRuleViolationError
from jointinspect.filing import file_quarter
from jointinspect.planning import plan_quarter

NOW = dt.datetime(2025, 9, 25, tzinfo=dt.UTC)
SEED = "another-seed"


@pytest.fixture
def draws(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The seeds ``draw_sample`` is called with (it is spied on, not replaced)."""
    seen: list[str] = []
    real = planning.draw_sample

    def spy(
        inputs: planning.PlanningInputs, seed: str, helper: ProcessPoolExecutor | None = None
    ) -> list[planning.Draw]:
        seen.append(seed)
        return real(inputs, seed, helper)

    monkeypatch.setattr(planning, "draw_sample", spy)
    return seen


def _plan(world: World, engine: Engine) -> None:
    run = plan_quarter(
        str(QUARTER), SEED, engine=engine, options=world.settings().options(), now=NOW
    )
    record = run.stored
    with engine.connect() as conn:
        kept = conn.execute(
            text("SELECT draw FROM plan_revision WHERE id = :id"), {"id": record.revision_id}
        ).scalar()
    assert kept is not None and json.loads(kept)["drawn"] == run.drawn > 0


def _file(world: World, engine: Engine) -> None:
    file_quarter(
        str(QUARTER), engine=engine, options=world.settings().options(), filed_by="t", now=NOW
    )


def test_an_unchanged_district_is_filed_without_drawing_again(
    filed_world: World, filed_engine: Engine, draws: list[str]
) -> None:
    _plan(filed_world, filed_engine)
    assert draws == [SEED]  # the plan's own draw
    _file(filed_world, filed_engine)
    assert draws == [SEED], "filing drew again although nothing had changed"


def test_a_district_regraded_after_planning_is_drawn_again(
    filed_world: World, filed_engine: Engine, draws: list[str]
) -> None:
    _plan(filed_world, filed_engine)
    with filed_engine.begin() as conn:
        # One enterprise changes grade: the draw may now differ, so filing draws again.
        conn.execute(
            text(
                "UPDATE enterprise_grade SET grade = CASE grade WHEN 'A' THEN 'D' ELSE 'A' END "
                "WHERE uscc = (SELECT min(uscc) FROM enterprise_grade)"
            )
        )
    with pytest.raises(HardRuleViolationError):
        _file(filed_world, filed_engine)
    assert draws == [SEED, SEED]


def test_a_draft_that_lost_a_drawn_demand_is_drawn_again_and_refused(
    filed_world: World, filed_engine: Engine, draws: list[str]
) -> None:
    _plan(filed_world, filed_engine)
    drop_a_drawn_check(filed_engine)
    with pytest.raises(HardRuleViolationError, match="is not in the plan"):
        _file(filed_world, filed_engine)
    assert draws == [SEED, SEED]
