"""Routes: the order of each day's visits, from the officers' home town, great-circle.

Officers who share a visit share part of a route, so a day's visits are split into the
groups that officers link (union-find), and each group gets one tour: nearest neighbour
from the home town of its first officer, then 2-opt. Every officer's visits are a
subsequence of that tour, so slots can be numbered consistently: a visit's ``order`` is
one more than the latest slot any of its officers has before it (spec §4: an officer's
visits on one day have distinct slots and, in slot order, are that officer's route).
"""

import itertools
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from jointinspect.scheduler.assignment import Placed, Roster
from jointinspect.scheduler.problem import EnterpriseInfo

EARTH_RADIUS_KM = 6371.0088

Point = tuple[float, float] | None


def great_circle_km(a: Point, b: Point) -> float:
    """Haversine distance; 0 when either end has no coordinates."""
    if a is None or b is None:
        return 0.0
    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True, slots=True)
class Routes:
    #: ``order`` per placed visit (aligned with the list given to :func:`route`).
    order: list[int]
    officer_days: int
    km: float


def route(
    placed: Sequence[Placed],
    roster: Roster,
    enterprises: Mapping[str, EnterpriseInfo],
    two_opt_max: int,
) -> Routes:
    order = [0] * len(placed)
    by_day: dict[int, list[int]] = defaultdict(list)
    for i, p in enumerate(placed):
        by_day[p.day].append(i)
    km = 0.0
    officer_days = 0
    for day in sorted(by_day):
        members = sorted(by_day[day], key=lambda i: placed[i].draft.key)
        for group in _groups(members, placed):
            tour = _tour(group, placed, roster, enterprises, two_opt_max)
            last: dict[int, int] = {}
            for i in tour:
                slot = 1 + max((last.get(o, 0) for o in placed[i].officers), default=0)
                order[i] = slot
                for o in placed[i].officers:
                    last[o] = slot
        # Travel per officer-day: home → visits in slot order → home.
        stops: dict[int, list[int]] = defaultdict(list)
        for i in members:
            for o in placed[i].officers:
                stops[o].append(i)
        for o in sorted(stops):
            officer_days += 1
            seq = sorted(stops[o], key=lambda i: order[i])
            home = _home(roster, o)
            points = [home, *(_where(enterprises, placed[i]) for i in seq), home]
            if home is None:
                points = points[1:-1]
            km += sum(great_circle_km(a, b) for a, b in itertools.pairwise(points))
    return Routes(order, officer_days, round(km, 3))


def _groups(members: list[int], placed: Sequence[Placed]) -> list[list[int]]:
    parent = {i: i for i in members}

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_by_officer: dict[int, int] = {}
    for i in members:
        for o in placed[i].officers:
            if o in first_by_officer:
                a, b = find(i), find(first_by_officer[o])
                if a != b:
                    parent[max(a, b)] = min(a, b)
            else:
                first_by_officer[o] = i
    groups: dict[int, list[int]] = defaultdict(list)
    for i in members:
        groups[find(i)].append(i)
    return [groups[k] for k in sorted(groups)]


def _home(roster: Roster, o: int) -> Point:
    officer = roster.officers[o]
    if officer.home_lat is None or officer.home_lon is None:
        return None
    return (officer.home_lat, officer.home_lon)


def _where(enterprises: Mapping[str, EnterpriseInfo], p: Placed) -> Point:
    ent = enterprises[p.draft.uscc]
    return None if ent.lat is None or ent.lon is None else (ent.lat, ent.lon)


def _tour(
    group: list[int],
    placed: Sequence[Placed],
    roster: Roster,
    enterprises: Mapping[str, EnterpriseInfo],
    two_opt_max: int,
) -> list[int]:
    start = _home(roster, min(o for i in group for o in placed[i].officers))
    points = {i: _where(enterprises, placed[i]) for i in group}
    todo = list(group)
    tour: list[int] = []
    here = start
    while todo:
        nxt = min(todo, key=lambda i: (great_circle_km(here, points[i]), placed[i].draft.key))
        tour.append(nxt)
        todo.remove(nxt)
        here = points[nxt]
    if len(tour) <= two_opt_max:
        tour = _two_opt(tour, start, points)
    return tour


def _two_opt(tour: list[int], start: Point, points: Mapping[int, Point]) -> list[int]:
    """Reverse segments while that shortens the open path from ``start``."""

    def at(k: int) -> Point:
        return start if k < 0 else points[tour[k]]

    improved = True
    while improved:
        improved = False
        for a in range(len(tour) - 1):
            for b in range(a + 1, len(tour)):
                before = great_circle_km(at(a - 1), at(a))
                after = great_circle_km(at(a - 1), at(b))
                if b + 1 < len(tour):
                    before += great_circle_km(at(b), at(b + 1))
                    after += great_circle_km(at(a), at(b + 1))
                if after < before - 1e-9:
                    tour[a : b + 1] = reversed(tour[a : b + 1])
                    improved = True
    return tour
