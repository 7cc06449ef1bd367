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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from jointinspect.models.plan_problem import EnterpriseInfo
from jointinspect.scheduler.assignment import Placed, Roster

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


def day_travel_um(home: Point, stops: Sequence[Point]) -> int:
    """An officer-day's travel — home → its stops with coordinates, in slot order →
    home, great-circle — in whole micrometres. Kept as integers, a revision's travel is
    the exact sum of its officer-days' whatever the order they are added in, and a
    replan of part of a district changes it by difference; rounded to the micrometre,
    it is the float sum to far below the metre the km figure shows."""
    points = [home] if home else []
    points += [p for p in stops if p is not None]
    if home:
        points.append(home)
    return round(sum([great_circle_km(a, b) for a, b in itertools.pairwise(points)]) * 1e9)


@dataclass(frozen=True, slots=True)
class Routes:
    #: ``order`` per placed visit (aligned with the list given to :func:`route`).
    order: list[int]
    officer_days: int
    km: float
    #: :func:`day_travel_um` summed over the officer-days.
    travel_um: int = 0


@dataclass(frozen=True, slots=True)
class Stops:
    """A plan's visits as routing sees them, in plain values (another process can take
    them): per visit its working day, key, officers (roster indices, sorted) and place;
    per officer (roster index) the home town's centre; and how many stops a tour may have
    for 2-opt."""

    day: list[int]
    key: list[str]
    officers: list[tuple[int, ...]]
    where: list[Point]
    home: list[Point]
    two_opt_max: int


#: Routes a plan's stops: given them, it starts and returns the function that gives the
#: routes (:func:`routes_of`'s, wherever they are made).
Routing = Callable[[Stops], Callable[[], Routes]]


def stops_of(
    placed: Sequence[Placed],
    roster: Roster,
    enterprises: Mapping[str, EnterpriseInfo],
    two_opt_max: int,
) -> Stops:
    return Stops(
        day=[p.day for p in placed],
        key=[p.draft.key for p in placed],
        officers=[p.officers for p in placed],
        where=[_where(enterprises, p) for p in placed],
        home=[_home(roster, o) for o in range(len(roster.officers))],
        two_opt_max=two_opt_max,
    )


def route(
    placed: Sequence[Placed],
    roster: Roster,
    enterprises: Mapping[str, EnterpriseInfo],
    two_opt_max: int,
) -> Routes:
    return routes_of(stops_of(placed, roster, enterprises, two_opt_max))


def routed_here(stops: Stops) -> Callable[[], Routes]:
    """The :data:`Routing` of one process: the routes made when asked for."""
    return lambda: routes_of(stops)


def routes_of(stops: Stops) -> Routes:
    """Each day's visits ordered into tours, their slots, officer-days and travel."""
    order = [0] * len(stops.day)
    by_day: dict[int, list[int]] = defaultdict(list)
    for i, day in enumerate(stops.day):
        by_day[day].append(i)
    km = 0.0
    um = 0
    officer_days = 0
    officers, where, home = stops.officers, stops.where, stops.home
    for day in sorted(by_day):
        members = sorted(by_day[day], key=stops.key.__getitem__)
        for group in _groups(members, officers):
            tour = _tour(group, stops)
            last: dict[int, int] = {}
            for i in tour:
                slot = 1 + max((last.get(o, 0) for o in officers[i]), default=0)
                order[i] = slot
                for o in officers[i]:
                    last[o] = slot
        # Travel per officer-day: home → visits in slot order → home.
        visited: dict[int, list[int]] = defaultdict(list)
        for i in members:
            for o in officers[i]:
                visited[o].append(i)
        for o in sorted(visited):
            officer_days += 1
            seq = sorted(visited[o], key=order.__getitem__)
            start = home[o]
            stops_at = [where[i] for i in seq]
            points = [start, *stops_at, start]
            if start is None:
                points = points[1:-1]
            legs = [great_circle_km(a, b) for a, b in itertools.pairwise(points)]
            km += sum(legs)
            # The same legs unless a stop lacks coordinates (then skipped, not a 0 km leg).
            um += round(sum(legs) * 1e9) if None not in stops_at else day_travel_um(start, stops_at)
    return Routes(order, officer_days, round(km, 3), um)


def _groups(members: list[int], officers: Sequence[tuple[int, ...]]) -> list[list[int]]:
    parent = {i: i for i in members}

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_by_officer: dict[int, int] = {}
    for i in members:
        for o in officers[i]:
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


def _tour(group: list[int], stops: Stops) -> list[int]:
    """One tour over the group: ordered on a local flat projection (within a day's
    reach its error is far below the choices it makes); km are measured great-circle."""
    order = sorted(group, key=stops.key.__getitem__)
    start = stops.home[min(o for i in group for o in stops.officers[i])]
    known = [stops.where[i] for i in order]
    anchor = start or next((p for p in known if p is not None), None)
    if anchor is None:
        return order
    scale = math.cos(math.radians(anchor[0]))
    xy = [(p[1] * scale, p[0]) if p else (anchor[1] * scale, anchor[0]) for p in known]
    origin = (anchor[1] * scale, anchor[0])
    if len(order) > stops.two_opt_max:
        return [order[k] for k in _sweep(xy, origin)]
    todo = list(range(len(order)))
    tour: list[int] = []
    here = origin
    while todo:
        # min() keeps the first of equals: ties go to the smaller visit key.
        nxt = min(todo, key=lambda k: math.dist(here, xy[k]))
        tour.append(nxt)
        todo.remove(nxt)
        here = xy[nxt]
    return [order[k] for k in _two_opt(tour, origin, xy)]


def _sweep(xy: Sequence[tuple[float, float]], origin: tuple[float, float]) -> list[int]:
    """Nearest neighbour, vectorised, for large groups.

    Squared distances, as ``((points - here) ** 2).sum(axis=1)`` gives them to the bit
    (dx·dx + dy·dy), into buffers made once; a visited point moves to infinity instead of
    being masked out. The first of equals is taken (argmin), as always. Large groups are
    where a plan with many departments per enterprise spends its routing time.
    """
    points = np.array(xy, dtype=np.float64).reshape(-1, 2)
    x, y = points[:, 0].copy(), points[:, 1].copy()
    dx, dy = np.empty_like(x), np.empty_like(y)
    hx, hy = float(origin[0]), float(origin[1])
    tour: list[int] = []
    for _ in range(len(x)):
        np.subtract(x, hx, out=dx)
        np.subtract(y, hy, out=dy)
        np.multiply(dx, dx, out=dx)
        np.multiply(dy, dy, out=dy)
        np.add(dx, dy, out=dx)
        k = int(np.argmin(dx))
        tour.append(k)
        hx, hy = float(x[k]), float(y[k])
        x[k] = y[k] = np.inf
    return tour


def _two_opt(
    tour: list[int], origin: tuple[float, float], xy: Sequence[tuple[float, float]]
) -> list[int]:
    """Reverse segments while that shortens the open path from ``origin``."""

    def at(k: int) -> tuple[float, float]:
        return origin if k < 0 else xy[tour[k]]

    improved = True
    while improved:
        improved = False
        for a in range(len(tour) - 1):
            for b in range(a + 1, len(tour)):
                before = math.dist(at(a - 1), at(a))
                after = math.dist(at(a - 1), at(b))
                if b + 1 < len(tour):
                    before += math.dist(at(b), at(b + 1))
                    after += math.dist(at(a), at(b + 1))
                if after < before - 1e-12:
                    tour[a : b + 1] = reversed(tour[a : b + 1])
                    improved = True
    return tour
