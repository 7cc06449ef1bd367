"""The grading configuration: the shipped ``grading.toml`` overlaid with a user's TOML.

Every weight, period and threshold of the grading comes from here. A user's file may set
any subset of the keys; an unknown key or an out-of-range value is rejected with a message
naming the key (``grading.credit.kinds.penalty.half_life_days must be > 0``).
"""

import itertools
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from jointinspect.models.enums import CreditEventKind, Grade, RelationKind, TriggerKind
from jointinspect.models.errors import JointInspectError

SEVERITY_NAMES = ("minor", "serious", "grave")  # severity 1, 2, 3 of the contract
GRADES = tuple(g.value for g in Grade)


class GradingConfigError(JointInspectError):
    """A grading configuration value is missing, unknown or out of range."""


@dataclass(frozen=True, slots=True)
class CreditKindConfig:
    points: float
    half_life_days: float
    publicity_days: int
    severity_scaled: bool


@dataclass(frozen=True, slots=True)
class IndustryRisk:
    risk: float
    zh: str
    en: str


@dataclass(frozen=True, slots=True)
class CreditConfig:
    base: float
    industry_blend: float
    industry_half_life_days: float
    industry_max_age_days: int
    severity: tuple[float, float, float]
    kinds: Mapping[CreditEventKind, CreditKindConfig]


@dataclass(frozen=True, slots=True)
class RiskWeights:
    inherent: float
    history: float
    triggers: float
    inspection_gap: float
    contagion: float

    @property
    def total(self) -> float:
        return self.inherent + self.history + self.triggers + self.inspection_gap + self.contagion


@dataclass(frozen=True, slots=True)
class HistoryConfig:
    prior_violations: float
    prior_inspections: float
    minor_weight: float
    half_life_days: float
    max_age_days: int
    sanctions: Mapping[CreditEventKind, float]  # violation evidence per credit-event kind

    @property
    def prior_mean(self) -> float:
        return self.prior_violations / self.prior_inspections


@dataclass(frozen=True, slots=True)
class TriggerConfig:
    window_days: int
    half_life_days: float
    saturation: float
    kinds: Mapping[TriggerKind, float]
    severity: tuple[float, float, float]


@dataclass(frozen=True, slots=True)
class ContagionConfig:
    damping: float
    hops: int
    credit_threshold: float
    history_threshold: float
    marked_kinds: tuple[CreditEventKind, ...]
    kinds: Mapping[RelationKind, float]


@dataclass(frozen=True, slots=True)
class RiskConfig:
    weights: RiskWeights
    industry_default: float
    industry_table: Mapping[str, IndustryRisk]
    history: HistoryConfig
    triggers: TriggerConfig
    inspection_gap_full_days: int
    contagion: ContagionConfig


@dataclass(frozen=True, slots=True)
class GradeConfig:
    score_decimals: int
    credit_bands: tuple[float, ...]  # descending
    risk_bands: tuple[float, ...]  # ascending
    matrix: tuple[tuple[str, ...], ...]  # [credit band][risk band]
    worst_by_kind: Mapping[CreditEventKind, str]


@dataclass(frozen=True, slots=True)
class ReasonsConfig:
    count: int
    min_points: float


@dataclass(frozen=True, slots=True)
class EvaluationConfig:
    holdout_days: int
    targeted_grades: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PriorityConfig:
    """The composite that orders enterprises within a grade (see ``grade.priority``)."""

    risk_weight: float
    credit_weight: float

    @property
    def total(self) -> float:
        return self.risk_weight + self.credit_weight


@dataclass(frozen=True, slots=True)
class ModelConfig:
    """How a learned risk model is fitted, validated and turned into grades."""

    odds_ratios: tuple[float, float, float]  # B, C, D from these × the base odds
    credit_floor: tuple[str, ...]  # the best grade per credit band (good … bad)
    worst_by_kind: Mapping[CreditEventKind, str]  # the best grade while such an event is in effect
    max_bins: int
    min_bin_share: float
    smoothing: float
    regularisation: float
    min_inspections: int
    min_violations: int
    holdout_days: int


@dataclass(frozen=True, slots=True)
class GradingConfig:
    credit: CreditConfig
    risk: RiskConfig
    grade: GradeConfig
    reasons: ReasonsConfig
    evaluation: EvaluationConfig
    priority: PriorityConfig
    model: ModelConfig


def default_config_text() -> str:
    """The shipped ``grading.toml`` (package data, not a user file)."""
    return resources.files("jointinspect.risk").joinpath("grading.toml").read_text("utf-8")


def load_config(user_text: str | None = None, *, source: str = "grading") -> GradingConfig:
    """The shipped defaults, overlaid with ``user_text`` (TOML) when given."""
    merged = _parse(default_config_text(), "grading.toml (shipped)")
    if user_text is not None:
        merged = _overlay(merged, _parse(user_text, source), "grading")
    return _build(_Table(merged, "grading"))


def _parse(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise GradingConfigError(f"{source} is not valid TOML: {exc}") from exc


def _overlay(base: dict[str, Any], user: Mapping[str, Any], path: str) -> dict[str, Any]:
    """``user`` over ``base``; tables merge key by key, other values replace."""
    merged = dict(base)
    for key, value in user.items():
        here = f"{path}.{key}"
        if key not in base and not _open_table(path):
            raise GradingConfigError(f"{here} is not a grading setting")
        if isinstance(value, Mapping) and isinstance(base.get(key), Mapping):
            merged[key] = _overlay(dict(base[key]), value, here)
        else:
            merged[key] = value
    return merged


def _open_table(path: str) -> bool:
    # Tables whose keys are data (industry classes, event kinds): a user may add keys.
    return path in {
        "grading.risk.industry.table",
        "grading.grade.worst_by_kind",
        "grading.risk.history.sanctions",
    }


class _Table:
    """A TOML table read key by key, so that every message names the full key."""

    def __init__(self, data: Mapping[str, Any], path: str) -> None:
        self.data = data
        self.path = path

    def key(self, name: str) -> str:
        return f"{self.path}.{name}"

    def get(self, name: str) -> Any:
        if name not in self.data:
            raise GradingConfigError(f"{self.key(name)} is missing")
        return self.data[name]

    def table(self, name: str) -> "_Table":
        value = self.get(name)
        if not isinstance(value, Mapping):
            raise GradingConfigError(f"{self.key(name)} must be a table")
        return _Table(value, self.key(name))

    def number(
        self,
        name: str,
        *,
        low: float | None = None,
        high: float | None = None,
        low_open: bool = False,
    ) -> float:
        value = self.get(name)
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise GradingConfigError(f"{self.key(name)} must be a number, not {value!r}")
        if low is not None and (value <= low if low_open else value < low):
            sign = ">" if low_open else ">="
            raise GradingConfigError(f"{self.key(name)} must be {sign} {low}, not {value!r}")
        if high is not None and value > high:
            raise GradingConfigError(f"{self.key(name)} must be <= {high}, not {value!r}")
        return float(value)

    def integer(self, name: str, *, low: int) -> int:
        value = self.get(name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise GradingConfigError(f"{self.key(name)} must be a whole number, not {value!r}")
        if value < low:
            raise GradingConfigError(f"{self.key(name)} must be >= {low}, not {value!r}")
        return value

    def flag(self, name: str) -> bool:
        value = self.get(name)
        if not isinstance(value, bool):
            raise GradingConfigError(f"{self.key(name)} must be true or false, not {value!r}")
        return value

    def text(self, name: str) -> str:
        value = self.get(name)
        if not isinstance(value, str) or not value.strip():
            raise GradingConfigError(f"{self.key(name)} must be a non-empty string")
        return value

    def grade(self, name: str) -> str:
        value = self.get(name)
        if value not in GRADES:
            raise GradingConfigError(f"{self.key(name)} must be one of A, B, C, D, not {value!r}")
        return str(value)

    def numbers(self, name: str) -> tuple[float, ...]:
        value = self.get(name)
        if not isinstance(value, list) or not all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in value
        ):
            raise GradingConfigError(f"{self.key(name)} must be a list of numbers")
        return tuple(float(v) for v in value)

    def strings(self, name: str) -> tuple[str, ...]:
        value = self.get(name)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise GradingConfigError(f"{self.key(name)} must be a list of strings")
        return tuple(value)

    def only(self, *names: str) -> None:
        """Reject keys that are not settings of this table."""
        for name in sorted(set(self.data) - set(names)):
            raise GradingConfigError(f"{self.key(name)} is not a grading setting")


def _build(root: _Table) -> GradingConfig:
    root.only("credit", "risk", "grade", "reasons", "evaluation", "priority", "model")
    grade = _grade(root.table("grade"))
    return GradingConfig(
        credit=_credit(root.table("credit")),
        risk=_risk(root.table("risk")),
        grade=grade,
        reasons=_reasons(root.table("reasons")),
        evaluation=_evaluation(root.table("evaluation")),
        priority=_priority(root.table("priority")),
        model=_model(root.table("model"), credit_bands=len(grade.credit_bands) + 1),
    )


def _severity(t: _Table) -> tuple[float, float, float]:
    t.only(*SEVERITY_NAMES)
    minor, serious, grave = (t.number(n, low=0) for n in SEVERITY_NAMES)
    if not minor <= serious <= grave:
        raise GradingConfigError(f"{t.path} must not decrease from minor to serious to grave")
    return (minor, serious, grave)


def _credit(t: _Table) -> CreditConfig:
    t.only(
        "base",
        "industry_blend",
        "industry_half_life_days",
        "industry_max_age_days",
        "severity",
        "kinds",
    )
    kinds_t = t.table("kinds")
    kinds_t.only(*(k.value for k in CreditEventKind))
    kinds: dict[CreditEventKind, CreditKindConfig] = {}
    for kind in CreditEventKind:
        k = kinds_t.table(kind.value)
        k.only("points", "half_life_days", "publicity_days", "severity_scaled")
        kinds[kind] = CreditKindConfig(
            points=k.number("points", low=-100, high=100),
            half_life_days=k.number("half_life_days", low=0, low_open=True),
            publicity_days=k.integer("publicity_days", low=0),
            severity_scaled=k.flag("severity_scaled"),
        )
    return CreditConfig(
        base=t.number("base", low=0, high=100),
        industry_blend=t.number("industry_blend", low=0, high=1),
        industry_half_life_days=t.number("industry_half_life_days", low=0, low_open=True),
        industry_max_age_days=t.integer("industry_max_age_days", low=0),
        severity=_severity(t.table("severity")),
        kinds=kinds,
    )


def _risk(t: _Table) -> RiskConfig:
    t.only("weights", "industry", "history", "triggers", "inspection_gap", "contagion")
    w = t.table("weights")
    w.only("inherent", "history", "triggers", "inspection_gap", "contagion")
    weights = RiskWeights(
        inherent=w.number("inherent", low=0),
        history=w.number("history", low=0),
        triggers=w.number("triggers", low=0),
        inspection_gap=w.number("inspection_gap", low=0),
        contagion=w.number("contagion", low=0),
    )
    if weights.total <= 0:
        raise GradingConfigError(f"{w.path} must not all be zero")

    ind = t.table("industry")
    ind.only("default", "table")
    table_t = ind.table("table")
    table: dict[str, IndustryRisk] = {}
    for prefix in sorted(table_t.data):
        if not (prefix.isdigit() and 1 <= len(prefix) <= 4):
            raise GradingConfigError(
                f"{table_t.key(prefix)}: an industry key is a GB/T 4754 class or prefix "
                "of 1–4 digits"
            )
        e = table_t.table(prefix)
        e.only("risk", "zh", "en")
        table[prefix] = IndustryRisk(e.number("risk", low=0, high=1), e.text("zh"), e.text("en"))

    h = t.table("history")
    h.only(
        "prior_violations",
        "prior_inspections",
        "minor_weight",
        "half_life_days",
        "max_age_days",
        "sanctions",
    )
    sanctions_t = h.table("sanctions")
    history = HistoryConfig(
        prior_violations=h.number("prior_violations", low=0, low_open=True),
        prior_inspections=h.number("prior_inspections", low=0, low_open=True),
        minor_weight=h.number("minor_weight", low=0, high=1),
        half_life_days=h.number("half_life_days", low=0, low_open=True),
        max_age_days=h.integer("max_age_days", low=0),
        sanctions={
            _credit_kind(h, "sanctions", k): sanctions_t.number(k, low=0, high=1)
            for k in sorted(sanctions_t.data)
        },
    )
    if history.prior_violations >= history.prior_inspections:
        raise GradingConfigError(
            f"{h.key('prior_violations')} must be less than {h.key('prior_inspections')}"
        )

    tr = t.table("triggers")
    tr.only("window_days", "half_life_days", "saturation", "kinds", "severity")
    tk = tr.table("kinds")
    tk.only(*(k.value for k in TriggerKind))
    triggers = TriggerConfig(
        window_days=tr.integer("window_days", low=0),
        half_life_days=tr.number("half_life_days", low=0, low_open=True),
        saturation=tr.number("saturation", low=0, low_open=True),
        kinds={k: tk.number(k.value, low=0) for k in TriggerKind},
        severity=_severity(tr.table("severity")),
    )

    gap = t.table("inspection_gap")
    gap.only("full_days")

    c = t.table("contagion")
    c.only("damping", "hops", "credit_threshold", "history_threshold", "marked_kinds", "kinds")
    ck = c.table("kinds")
    ck.only(*(k.value for k in RelationKind))
    contagion = ContagionConfig(
        damping=c.number("damping", low=0, high=1),
        hops=c.integer("hops", low=0),
        credit_threshold=c.number("credit_threshold", low=0, high=100, low_open=True),
        history_threshold=c.number("history_threshold", low=0, high=1),
        marked_kinds=tuple(_credit_kind(c, "marked_kinds", v) for v in c.strings("marked_kinds")),
        kinds={k: ck.number(k.value, low=0, high=1) for k in RelationKind},
    )
    if contagion.history_threshold >= 1:
        raise GradingConfigError(f"{c.key('history_threshold')} must be < 1")
    return RiskConfig(
        weights=weights,
        industry_default=ind.number("default", low=0, high=1),
        industry_table=table,
        history=history,
        triggers=triggers,
        inspection_gap_full_days=gap.integer("full_days", low=1),
        contagion=contagion,
    )


def _credit_kind(t: _Table, name: str, value: str) -> CreditEventKind:
    try:
        return CreditEventKind(value)
    except ValueError:
        known = ", ".join(k.value for k in CreditEventKind)
        raise GradingConfigError(
            f"{t.key(name)}: {value!r} is not a credit-event kind ({known})"
        ) from None


def _grade(t: _Table) -> GradeConfig:
    t.only("score_decimals", "credit_bands", "risk_bands", "matrix", "worst_by_kind")
    credit_bands = t.numbers("credit_bands")
    risk_bands = t.numbers("risk_bands")
    if any(not 0 <= b <= 100 for b in credit_bands + risk_bands):
        raise GradingConfigError(f"{t.path}: band thresholds must lie in 0–100")
    if list(credit_bands) != sorted(credit_bands, reverse=True) or len(set(credit_bands)) != len(
        credit_bands
    ):
        raise GradingConfigError(f"{t.key('credit_bands')} must be strictly descending")
    if list(risk_bands) != sorted(risk_bands) or len(set(risk_bands)) != len(risk_bands):
        raise GradingConfigError(f"{t.key('risk_bands')} must be strictly ascending")
    raw = t.get("matrix")
    rows, cols = len(credit_bands) + 1, len(risk_bands) + 1
    if (
        not isinstance(raw, list)
        or len(raw) != rows
        or not all(isinstance(r, list) and len(r) == cols for r in raw)
    ):
        raise GradingConfigError(
            f"{t.key('matrix')} must have {rows} rows (credit bands) of {cols} grades (risk bands)"
        )
    for r, row in enumerate(raw):
        for c, cell in enumerate(row):
            if cell not in GRADES:
                raise GradingConfigError(
                    f"{t.key('matrix')}[{r}][{c}] must be one of A, B, C, D, not {cell!r}"
                )
    matrix = tuple(tuple(str(c) for c in row) for row in raw)
    # Worse credit or higher risk must never give a better grade.
    for r in range(rows):
        for c in range(cols):
            here = GRADES.index(matrix[r][c])
            if (r + 1 < rows and GRADES.index(matrix[r + 1][c]) < here) or (
                c + 1 < cols and GRADES.index(matrix[r][c + 1]) < here
            ):
                raise GradingConfigError(
                    f"{t.key('matrix')} must not improve as credit falls or risk rises "
                    f"(at row {r}, column {c})"
                )
    worst = t.table("worst_by_kind")
    return GradeConfig(
        score_decimals=t.integer("score_decimals", low=0),
        credit_bands=credit_bands,
        risk_bands=risk_bands,
        matrix=matrix,
        worst_by_kind={
            _credit_kind(t, "worst_by_kind", k): worst.grade(k) for k in sorted(worst.data)
        },
    )


def _reasons(t: _Table) -> ReasonsConfig:
    t.only("count", "min_points")
    return ReasonsConfig(count=t.integer("count", low=0), min_points=t.number("min_points", low=0))


def _evaluation(t: _Table) -> EvaluationConfig:
    t.only("holdout_days", "targeted_grades")
    targeted = t.strings("targeted_grades")
    for g in targeted:
        if g not in GRADES:
            raise GradingConfigError(f"{t.key('targeted_grades')}: {g!r} is not one of A, B, C, D")
    if not targeted:
        raise GradingConfigError(f"{t.key('targeted_grades')} must name at least one grade")
    return EvaluationConfig(holdout_days=t.integer("holdout_days", low=1), targeted_grades=targeted)


def _priority(t: _Table) -> PriorityConfig:
    t.only("risk_weight", "credit_weight")
    priority = PriorityConfig(
        risk_weight=t.number("risk_weight", low=0),
        credit_weight=t.number("credit_weight", low=0),
    )
    if priority.total <= 0:
        raise GradingConfigError(f"{t.path}: risk_weight and credit_weight must not both be zero")
    return priority


def _model(t: _Table, *, credit_bands: int) -> ModelConfig:
    t.only(
        "odds_ratios",
        "credit_floor",
        "worst_by_kind",
        "max_bins",
        "min_bin_share",
        "smoothing",
        "regularisation",
        "min_inspections",
        "min_violations",
        "holdout_days",
    )
    ratios = t.numbers("odds_ratios")
    if len(ratios) != len(GRADES) - 1 or not all(
        a < b for a, b in itertools.pairwise((0.0, *ratios))
    ):
        raise GradingConfigError(
            f"{t.key('odds_ratios')} must be three strictly ascending positive numbers "
            "(the odds ratios at which B, C and D begin)"
        )
    floor = t.strings("credit_floor")
    if len(floor) != credit_bands or any(g not in GRADES for g in floor):
        raise GradingConfigError(
            f"{t.key('credit_floor')} must name a grade A–D for each of the {credit_bands} "
            "credit bands of [grade]"
        )
    if [GRADES.index(g) for g in floor] != sorted(GRADES.index(g) for g in floor):
        raise GradingConfigError(f"{t.key('credit_floor')} must not improve as credit falls")
    worst = t.table("worst_by_kind")
    return ModelConfig(
        odds_ratios=(ratios[0], ratios[1], ratios[2]),
        credit_floor=floor,
        worst_by_kind={
            _credit_kind(t, "worst_by_kind", k): worst.grade(k) for k in sorted(worst.data)
        },
        max_bins=t.integer("max_bins", low=2),
        min_bin_share=t.number("min_bin_share", low=0, high=0.5, low_open=True),
        smoothing=t.number("smoothing", low=0),
        regularisation=t.number("regularisation", low=0, low_open=True),
        min_inspections=t.integer("min_inspections", low=10),
        min_violations=t.integer("min_violations", low=1),
        holdout_days=t.integer("holdout_days", low=1),
    )
