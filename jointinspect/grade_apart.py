"""A district's credit events read in a second process.

Grading a whole district reads millions of rows, and turning them into columns and then
into arrays is Python's work, on one core. The credit events are the largest table (at
650,000 enterprises, 1.2 million of 3 million rows) and need nothing from the others but
the enterprises' numbers, which are their places in the sorted register. So a second
process — the one that writes the grades CSV afterwards (``grading.grade_and_store``) —
reads the register's USCCs and the credit events, and numbers and orders them
(:func:`risk.inputs.credit_event_arrays`), while this one reads the rest. With the
industry records there too, that process had twice this one's work: this one waited.

The arrays are used only if that process numbered the same enterprises: it reads on a
connection of its own, and a register changed between the two reads would number them
differently. A digest of its sorted USCCs is compared with this process's; where they
differ, or the process is gone, this process reads the whole district again itself. The
arrays are the ones one process makes, value for value.
"""

import datetime as dt
import hashlib
from collections.abc import Callable
from concurrent.futures import Executor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from sqlalchemy.engine import Engine

from jointinspect.data.bulk_write import no_cyclic_gc
from jointinspect.data.grading.tables import load_credit_events
from jointinspect.models.db import EngineRecipe, recipe_of
from jointinspect.risk.inputs import (
    CreditEventColumns,
    Events,
    credit_event_arrays,
    numbered_usccs,
)


@dataclass(frozen=True)
class EventsApart:
    """The credit events, numbered by the enterprises whose sorted USCCs have the digest
    ``register`` (:func:`register_digest`)."""

    register: bytes
    credit_events: Events


def register_digest(uscc: NDArray[np.str_]) -> bytes:
    """A digest of the sorted USCCs: equal for the same enterprises, numbered alike."""
    digest = hashlib.sha256(uscc.dtype.str.encode())
    digest.update(np.ascontiguousarray(uscc).tobytes())
    return digest.digest()


def events_apart(
    helper: Executor | None, engine: Engine, as_of: dt.date
) -> Callable[[], EventsApart | None] | None:
    """Start reading the credit events up to ``as_of`` in ``helper`` and return the function that
    waits for them (None from it: the process is gone); None: read them here (no second
    process, or a database only this process can open)."""
    recipe = recipe_of(engine)
    if helper is None or recipe is None:
        return None
    try:
        sent = helper.submit(read_events, recipe, as_of)
    except BrokenProcessPool:
        return None

    def events() -> EventsApart | None:
        try:
            return sent.result()
        except BrokenProcessPool:
            return None

    return events


def read_events(recipe: EngineRecipe, as_of: dt.date) -> EventsApart:
    """In the second process: the district's credit events up to ``as_of``, as the
    arrays :func:`risk.inputs.build_inputs` makes of them."""
    engine = recipe.engine()
    try:
        with no_cyclic_gc():  # millions of strings and lists, no cycles
            given, credit = load_credit_events(engine=engine, as_of=as_of)
            uscc, _order, number = numbered_usccs(given)
            limit = np.datetime64(as_of, "D")
            return EventsApart(
                register=register_digest(uscc),
                credit_events=credit_event_arrays(number, limit, CreditEventColumns(**credit)),
            )
    finally:
        engine.dispose()
