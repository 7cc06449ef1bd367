"""A plan's routes made in the draw's second process while the plan's results are made.

Once the visits are placed, the plan routes each day's visits (``scheduler.routing``) and
makes its results: the visits but for their slots, the off-site checks, the unscheduled
demands and the figures. Neither needs the other until the slots are written into the
visits, and at 650,000 enterprises each takes over a second of one core. So the routes are
made in the second process the draw used (:mod:`draw_apart`), from plain values, and the
plan takes them when its results are ready: the same routes, slot for slot and to the
last bit of the kilometres, since the same function makes them from the same values.

Without a second process, or when it cannot take the work or dies, the routes are made
here when they are needed.
"""

import marshal
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from jointinspect.data.bulk_write import no_cyclic_gc
from jointinspect.scheduler.routing import Routes, Routing, Stops, routed_here, routes_of

#: Fewer visits than this are routed here: sending them costs more than routing them.
ROUTE_APART_FROM = 5_000


def routing_on(helper: ProcessPoolExecutor | None) -> Routing:
    """A :data:`~jointinspect.scheduler.routing.Routing` that routes in ``helper`` (None:
    here)."""
    if helper is None:
        return routed_here

    def start(stops: Stops) -> Callable[[], Routes]:
        if len(stops.day) < ROUTE_APART_FROM:
            return routed_here(stops)
        try:
            sent = helper.submit(_routes_packed, _packed(stops))
        except (BrokenProcessPool, RuntimeError):  # gone, or shut down
            return routed_here(stops)
        return lambda: _answer(sent, stops)

    return start


def _answer(sent: "Future[Routes]", stops: Stops) -> Routes:
    try:
        return sent.result()
    except BrokenProcessPool:  # the process died: routed here
        return routes_of(stops)


def _packed(stops: Stops) -> bytes:
    """The stops as one ``marshal`` string (no pickle memo of a hundred thousand tuples;
    both ends are this Python)."""
    return marshal.dumps(
        (stops.day, stops.key, stops.officers, stops.where, stops.home, stops.two_opt_max)
    )


def _routes_packed(packed: bytes) -> Routes:
    """:func:`routes_of` the stops :func:`_packed` packed (in the second process)."""
    with no_cyclic_gc():  # a hundred thousand stops' tuples, none in a cycle
        day, key, officers, where, home, two_opt_max = marshal.loads(packed)
        return routes_of(Stops(day, key, officers, where, home, two_opt_max))
