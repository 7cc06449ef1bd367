"""A plan's routes made in a second process (``jointinspect.route_apart``): the same
routes as made here, slot for slot and to the last bit of the kilometres, also when the
process is gone; a plan routed that way is the plan routed here."""

import random
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from helpers.planning_builders import random_problem

from jointinspect import draw_apart, route_apart
from jointinspect.scheduler.routing import Point, Routes, Stops, routes_of
from jointinspect.scheduler.solve import solve


def _stops(visits: int, seed: int = 7) -> Stops:
    """Visits over 60 days by 300 officers, most linked to others by shared officers,
    some with no place and some officers with no home (both skipped in the travel)."""
    rng = random.Random(seed)

    def place() -> Point:
        return None if rng.random() < 0.03 else (30.9 + rng.random() / 5, 121.4 + rng.random() / 4)

    return Stops(
        day=[rng.randrange(60) for _ in range(visits)],
        key=[f"V{k:06d}" for k in rng.sample(range(visits * 3), visits)],
        officers=[
            tuple(sorted(rng.sample(range(300), rng.choice((1, 2, 2, 4))))) for _ in range(visits)
        ],
        where=[place() for _ in range(visits)],
        home=[place() for _ in range(300)],
        two_opt_max=6,  # both tours: 2-opt for small groups, the sweep for large ones
    )


class _Counted:
    """An executor that counts what it is given and passes it on."""

    def __init__(self, pool: ProcessPoolExecutor) -> None:
        self.pool = pool
        self.submitted = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> "Future[Any]":
        self.submitted += 1
        return self.pool.submit(fn, *args)


def test_routes_made_in_a_second_process_are_the_routes_made_here(monkeypatch: Any) -> None:
    monkeypatch.setattr("jointinspect.second_process.os.cpu_count", lambda: 2)
    stops = _stops(route_apart.ROUTE_APART_FROM + 500)
    here = routes_of(stops)
    assert here.officer_days > 1_000 and here.km > 0
    # The plan's own second process: the draw's.
    with draw_apart.draw_helper(draw_apart.DRAW_APART_FROM, cpus=2) as pool:
        assert pool is not None
        counted = _Counted(pool)
        apart = route_apart.routing_on(counted)(stops)()  # type: ignore[arg-type]
    assert counted.submitted == 1
    assert apart == here
    assert apart.km.hex() == here.km.hex()


def test_routes_are_made_here_when_the_second_process_is_gone() -> None:
    stops = _stops(route_apart.ROUTE_APART_FROM)
    helper = ProcessPoolExecutor(max_workers=1)
    helper.shutdown()  # submitting now fails
    assert route_apart.routing_on(helper)(stops)() == routes_of(stops)


def test_few_visits_and_no_process_are_routed_here() -> None:
    small = _stops(route_apart.ROUTE_APART_FROM - 1)
    helper = ProcessPoolExecutor(max_workers=1)
    counted = _Counted(helper)
    try:
        assert route_apart.routing_on(counted)(small)() == routes_of(small)  # type: ignore[arg-type]
    finally:
        helper.shutdown()
    assert counted.submitted == 0
    assert route_apart.routing_on(None)(small)() == routes_of(small)


def test_a_plan_routed_elsewhere_is_the_plan_routed_here() -> None:
    problem = random_problem(1_500, 4, officers_per_1000=3.0, rate=0.3)
    asked: list[Stops] = []

    def routing(stops: Stops) -> Callable[[], Routes]:
        asked.append(stops)
        made = routes_of(stops)
        return lambda: made

    elsewhere = solve(problem, routing=routing)
    here = solve(problem)
    assert len(asked) == 1 and len(asked[0].day) == len(here.visits) > 0
    assert elsewhere.visits == here.visits
    assert elsewhere.offsite == here.offsite and elsewhere.unscheduled == here.unscheduled
    assert list(elsewhere.metrics.items()) == list(here.metrics.items())  # order too
