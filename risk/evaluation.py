"""How well the grades find violations, measured honestly: grades made as of a cut-off
date T from data up to T, scored against inspections after T.

- violation rate per grade: violations / inspections after T, by the grade as of T;
- AUC of the risk score and of the priority score (grade first, then the composite of
  risk and credit within the grade: the order coordinators work in): per enterprise
  inspected after T, whether any inspection found a violation (Mann–Whitney, ties half);
- lift: the violation rate of the enterprises in the targeted grades (e.g. C and D)
  against a random selection of the same size from the inspected enterprises, whose
  expected rate is the overall rate.
"""

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from jointinspect.risk.config import GRADES, EvaluationConfig
from jointinspect.risk.inputs import IntArray


@dataclass(frozen=True, slots=True)
class GradeRate:
    grade: str
    enterprises: int  # graded
    inspected: int  # of which inspected after T
    inspections: int
    violations: int

    @property
    def rate(self) -> float | None:
        return self.violations / self.inspections if self.inspections else None


@dataclass(frozen=True, slots=True)
class Evaluation:
    per_grade: tuple[GradeRate, ...]
    auc: float | None  # of the risk score; None when the inspected are all violators or clean
    priority_auc: float | None  # of the priority score (grade, then composite); None likewise
    inspected: int  # enterprises inspected after T
    violators: int  # of which found violating at least once
    selected: int  # inspected enterprises in the targeted grades
    selected_violators: int
    targeted_grades: tuple[str, ...]

    @property
    def base_rate(self) -> float | None:
        return self.violators / self.inspected if self.inspected else None

    @property
    def hit_rate(self) -> float | None:
        return self.selected_violators / self.selected if self.selected else None

    @property
    def lift(self) -> float | None:
        base, hit = self.base_rate, self.hit_rate
        return hit / base if base and hit is not None else None

    @property
    def strictly_rising(self) -> bool:
        """The violation rate rises strictly from A to D (grades with inspections)."""
        return rises_strictly(r.rate for r in self.per_grade)


def rises_strictly(rates: Iterable[float | None]) -> bool:
    """Each known rate (grade A first) is above the one before it."""
    known = [r for r in rates if r is not None]
    return all(a < b for a, b in itertools.pairwise(known))


def auc(scores: NDArray[np.float64], labels: NDArray[np.bool_]) -> float | None:
    """Probability that a random positive outscores a random negative (ties count ½)."""
    positives = int(labels.sum())
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return None
    ranks = _average_ranks(scores)
    rank_sum = float(ranks[labels].sum())
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def _average_ranks(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """1-based ranks, tied values sharing their mean rank."""
    order = np.argsort(values, kind="stable")
    sorted_values = values[order]
    boundaries = np.flatnonzero(np.diff(sorted_values)) + 1
    starts = np.concatenate(([0], boundaries))
    ends = np.concatenate((boundaries, [len(values)]))
    mean_rank = (starts + ends + 1) / 2.0  # mean of starts+1 … ends
    ranks = np.empty(len(values))
    ranks[order] = np.repeat(mean_rank, ends - starts)
    return ranks


def evaluate(
    grades: IntArray,
    risk: NDArray[np.float64],
    inspected_ent: IntArray,
    violation: NDArray[np.bool_],
    config: EvaluationConfig,
    priority: NDArray[np.float64] | None = None,
) -> Evaluation:
    """Score grades (0 = A …), risk and priority made as of T against inspections after T.

    ``inspected_ent[k]`` is the enterprise number of inspection k after T and
    ``violation[k]`` whether it found a violation.
    """
    n = len(grades)
    inspections = np.bincount(inspected_ent, minlength=n)
    violations = np.bincount(inspected_ent, violation.astype(np.int64), minlength=n)
    was_inspected = inspections > 0
    violator = violations > 0
    per_grade = []
    for g, letter in enumerate(GRADES):
        mine = grades == g
        per_grade.append(
            GradeRate(
                grade=letter,
                enterprises=int(mine.sum()),
                inspected=int((mine & was_inspected).sum()),
                inspections=int(inspections[mine].sum()),
                violations=int(violations[mine].sum()),
            )
        )
    targeted = np.isin(grades, [GRADES.index(g) for g in config.targeted_grades])
    return Evaluation(
        per_grade=tuple(per_grade),
        auc=auc(risk[was_inspected], violator[was_inspected]),
        priority_auc=(
            auc(priority[was_inspected], violator[was_inspected]) if priority is not None else None
        ),
        inspected=int(was_inspected.sum()),
        violators=int(violator.sum()),
        selected=int((targeted & was_inspected).sum()),
        selected_violators=int((targeted & violator).sum()),
        targeted_grades=tuple(config.targeted_grades),
    )


def grade_numbers(letters: Sequence[str]) -> IntArray:
    """Grade letters → 0 = A … 3 = D."""
    return np.array([GRADES.index(g) for g in letters], dtype=np.int64)
