"""The 双随机 draw's digests shared with a second process (``jointinspect.draw_apart``):
the same draws as one process makes, digest for digest, also when the second process is
gone; small districts, and plans told to keep one CPU busy, never start one."""

from concurrent.futures import ProcessPoolExecutor

import pytest

from jointinspect import draw_apart
from jointinspect.models import uscc
from jointinspect.risk.sampling import (
    Candidate,
    CandidateColumns,
    SamplingRuleSpec,
    draw_columns,
    draw_tasks,
)


def _register() -> CandidateColumns:
    return CandidateColumns.of(
        [
            Candidate(
                uscc.complete(f"91310120MC{k:07d}"),
                ("5211", "8411", "6210", "1491")[k % 4],
                "ABCD"[(k * 7) % 4],
                k % 11 != 0,
                k % 6 == 0,
            )
            for k in range(2_000)
        ]
    )


RULES = [
    SamplingRuleSpec(dept, f"{dept}-{n}", grade, ratio, industries, onsite)
    for n, (industries, onsite) in enumerate((("52", True), ("*", False), ("62;14", True)))
    for dept in ("SCJ", "WJ", "HB")
    for grade, ratio in (("A", "0.03"), ("B", "0.2"), ("C", "0.5"), ("D", "1"))
]


def test_a_second_process_draws_what_one_process_draws() -> None:
    register = _register()
    alone = draw_columns("apart", RULES, register)
    assert len(alone) > 1_000
    with draw_apart.draw_helper(draw_apart.DRAW_APART_FROM, cpus=2) as helper:
        assert helper is not None
        assert draw_apart.draw_on_two("apart", RULES, register, helper) == alone
    assert draw_apart.draw_on_two("apart", RULES, register, None) == alone


def test_the_draw_goes_on_here_when_the_second_process_is_gone() -> None:
    register = _register()
    helper = ProcessPoolExecutor(max_workers=1)
    helper.shutdown()  # submitting now fails: this process draws the other share too
    assert draw_apart.draw_on_two("apart", RULES, register, helper) == draw_columns(
        "apart", RULES, register
    )


def test_each_process_gets_a_share_near_its_own() -> None:
    tasks = draw_tasks(RULES, _register())
    apart = draw_apart._apart(tasks, 0)
    total = sum(len(t.pool) for t in tasks)
    sent = sum(len(tasks[k].pool) for k in apart)
    assert 0 < len(apart) < len(tasks)
    assert abs(sent / total - draw_apart.APART_SHARE) < 0.1


def test_the_sending_counts_as_the_second_process_s_work() -> None:
    tasks = draw_tasks(RULES, _register())
    total = sum(len(t.pool) for t in tasks)
    enterprises = round(total / draw_apart.SEND_PER_ENTERPRISE / 4)  # a quarter of the work
    sent = sum(len(tasks[k].pool) for k in draw_apart._apart(tasks, enterprises))
    work = total * 1.25
    expected = draw_apart.APART_SHARE * work - total * 0.25
    assert abs(sent - expected) / total < 0.1
    assert sent < sum(len(tasks[k].pool) for k in draw_apart._apart(tasks, 0))


@pytest.mark.parametrize(
    ("enterprises", "cpus"),
    [
        (0, 2),
        (draw_apart.DRAW_APART_FROM - 1, 2),  # a small district
        (draw_apart.DRAW_APART_FROM, 1),  # one CPU to keep busy: a city's task
    ],
)
def test_no_second_process_where_it_is_not_worth_one(enterprises: int, cpus: int) -> None:
    with draw_apart.draw_helper(enterprises, cpus) as helper:
        assert helper is None
