"""Grading as a library call: grade a district (or a few enterprises) with the adopted
risk model or the shipped default, store the grades, write them as CSV, and evaluate them
against later inspections."""

import datetime as dt
import functools
import itertools
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, replace
from itertools import repeat
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from sqlalchemy.engine import Engine

from jointinspect.data.bulk_write import no_cyclic_gc
from jointinspect.data.exports.csv_fields import EXCEL, CsvQuoting
from jointinspect.data.exports.files import FORMULA_PREFIXES, safe_text, written_whole
from jointinspect.data.grading.risk_models import adopted_model, record_grading
from jointinspect.data.grading.tables import (
    WRITE_CHUNK,
    GradeRow,
    GradeRows,
    GradingTables,
    enterprise_count,
    last_inspection_date,
    load_grading_tables,
    load_inspections,
    load_trade_history,
    related_enterprises,
    write_grades,
)
from jointinspect.grade_apart import events_apart, register_digest
from jointinspect.models.errors import JointInspectError
from jointinspect.models.timezones import CHINA
from jointinspect.options import Options, grading_config
from jointinspect.risk.config import GRADES, GradingConfig
from jointinspect.risk.contagion import neighbourhood
from jointinspect.risk.evaluation import Evaluation, evaluate
from jointinspect.risk.grade import GradingResult, grade
from jointinspect.risk.inputs import (
    CreditEventColumns,
    EnterpriseColumns,
    GradingInputs,
    IndustryRecordColumns,
    InspectionColumns,
    RelationColumns,
    TradeHistory,
    TriggerColumns,
    build_inputs,
)
from jointinspect.risk.reasons import ReasonCells, ReasonTexts
from jointinspect.risk.scorecard import Scorecard, scorecard_from_json
from jointinspect.second_process import second_process

__all__ = [
    "CSV_HEADER",
    "LANGUAGE_SEPARATOR",
    "P_DECIMALS",
    "REASON_SEPARATOR",
    "Evaluation",
    "GradingModel",
    "GradingResult",
    "NothingToEvaluateError",
    "adopted_model",
    "evaluate_district",
    "evaluation_cutoff",
    "grade_and_store",
    "grade_district",
    "grade_enterprises",
    "grading_model",
    "inputs_from_tables",
    "model_name",
    "store_grades",
    "write_csv",
]

CSV_HEADER = ("uscc", "credit", "risk", "grade", "p_violation", "reasons")
#: p_violation is the ranking score: written with enough digits to keep ranks apart.
P_DECIMALS = 6
REASON_SEPARATOR = "; "
LANGUAGE_SEPARATOR = " / "


class NothingToEvaluateError(JointInspectError):
    """There are no inspections after the evaluation's cut-off date."""


def inputs_from_tables(
    tables: GradingTables, as_of: dt.date, trade_history: TradeHistory | None = None
) -> GradingInputs:
    return build_inputs(
        as_of=as_of,
        enterprises=EnterpriseColumns(**tables.enterprises),
        credit_events=CreditEventColumns(**tables.credit_events),
        industry_records=IndustryRecordColumns(**tables.industry_records),
        inspections=InspectionColumns(**tables.inspections),
        triggers=TriggerColumns(**tables.triggers),
        relations=RelationColumns(**tables.relations),
        trade_history=trade_history,
    )


@dataclass(frozen=True)
class GradingModel:
    """The model grading uses: an adopted scorecard with its id, or the default (None)."""

    id: int | None
    scorecard: Scorecard | None


def grading_model(*, engine: Engine) -> GradingModel:
    """The risk model adopted last (``calibrate --adopt``), else the shipped default."""
    stored = adopted_model(engine=engine)
    if stored is None:
        return GradingModel(None, None)
    return GradingModel(stored.id, scorecard_from_json(stored.scorecard))


def grade_district(
    *,
    engine: Engine,
    as_of: dt.date,
    config: GradingConfig,
    model: GradingModel | None = None,
    helper: Executor | None = None,
) -> GradingResult:
    """Grade every enterprise in the database as of ``as_of`` (later events do not count),
    with ``model`` (default: the adopted one). With ``helper``, a second process reads the
    credit events meanwhile (:mod:`jointinspect.grade_apart`): the same grades, sooner."""
    chosen = model or grading_model(engine=engine)
    with no_cyclic_gc():  # the district's columns and reasons: millions of objects, no cycles
        return grade(_district_inputs(engine, as_of, helper), config, chosen.scorecard)


def _district_inputs(engine: Engine, as_of: dt.date, helper: Executor | None) -> GradingInputs:
    apart = events_apart(helper, engine, as_of)
    tables = load_grading_tables(engine=engine, as_of=as_of, credit_events=apart is None)
    inputs = inputs_from_tables(tables, as_of)
    if apart is None:
        return inputs
    # The rest of the inputs were made while the credit events were being read.
    events = apart()
    if events is not None and register_digest(inputs.uscc) == events.register:
        return replace(inputs, credit_events=events.credit_events)
    # The process is gone, or read another register: all of it read here.
    return inputs_from_tables(load_grading_tables(engine=engine, as_of=as_of), as_of)


def grade_enterprises(
    *, engine: Engine, as_of: dt.date, config: GradingConfig, usccs: Collection[str]
) -> GradingResult:
    """Grade ``usccs`` exactly as :func:`grade_district` would, reading only their relation
    neighbourhood (``contagion.hops`` relations; at least one, for the reasons' count of
    marked neighbours). The result also holds the neighbours: take the ``usccs`` rows."""
    chosen = grading_model(engine=engine)
    # A learned model reads the whole relation group (features.group_*): every
    # enterprise connected to a seed; the default, ``contagion.hops`` relations.
    hops = None if chosen.scorecard is not None else max(config.risk.contagion.hops, 1)
    with engine.connect() as conn:
        scope = neighbourhood(lambda reached: related_enterprises(conn, reached), usccs, hops=hops)
    tables = load_grading_tables(engine=engine, as_of=as_of, only=scope)
    trades = None
    if chosen.scorecard is not None:
        # A trade's violation rate is learned from every enterprise of the trade.
        history = load_trade_history(engine=engine, as_of=as_of)
        trades = TradeHistory(
            industry=np.asarray(history["industry"], dtype=str),
            day=history["date"],
            violation=np.asarray(history["violation"], dtype=bool),
        )
    return grade(inputs_from_tables(tables, as_of, trades), config, chosen.scorecard)


#: Enterprises per slice of the output: grades and CSV rows are made and written a slice at
#: a time, never a district's texts at once (see ``ReasonTexts``).
OUTPUT_SLICE = WRITE_CHUNK
#: From this many enterprises on, ``grade_and_store`` reads the credit events (see
#: :mod:`jointinspect.grade_apart`) and writes the CSV in a second process, and so does
#: ``store_grades`` the CSV.
SECOND_PROCESS_FROM = 20_000


def store_grades(
    result: GradingResult,
    *,
    engine: Engine,
    model_id: int | None = None,
    out: Path | None = None,
) -> int:
    """Store the grades of a district's grading (``grade_district``, with their reasons)
    in ``enterprise_grade``, in place of those it holds, and record which model graded
    (``model_id``; None: the default). With ``out``, also write the CSV of
    :func:`write_csv` there: a district's in a second process while the grades are
    stored (see :func:`_second_process`). The file is put in place once both are done;
    grades stored stay stored if writing it then fails, as when it was written after."""
    with ExitStack() as stack:
        csv_file = None if out is None else _csv_file(stack, out, result.inputs.size)
        return _store(result, engine=engine, model_id=model_id, csv_file=csv_file)


def _csv_file(stack: ExitStack, out: Path, size: int) -> tuple[Path, ProcessPoolExecutor | None]:
    """Where to write the CSV of ``size`` enterprises that goes to ``out``, and the process
    to write it in (None: this one), both ended by ``stack``. The place is checked first
    (a wrong one fails before any work), and the process has ended before the file is put
    in place or removed."""
    temp = stack.enter_context(written_whole(Path(out), "csv"))
    return temp, stack.enter_context(_second_process(size))


def _store(
    result: GradingResult,
    *,
    engine: Engine,
    model_id: int | None,
    csv_file: tuple[Path, ProcessPoolExecutor | None] | None,
) -> int:
    inputs = result.inputs
    with no_cyclic_gc():
        texts = ReasonTexts(result)
        csv_written: Callable[[], object] | None = None
        if csv_file is not None:
            temp, pool = csv_file
            table = GradesCsv.of(result, texts)
            if pool is None:
                csv_written = functools.partial(table.write, temp)
            else:
                csv_written = pool.submit(table.write, temp).result
        recorded = functools.partial(
            record_grading, as_of=inputs.as_of, model_id=model_id, now=dt.datetime.now(CHINA)
        )
        stored = write_grades(
            engine=engine,
            as_of=inputs.as_of,
            grades=grade_rows(result, texts, whole=True),
            then=recorded,
        )
        if csv_written is not None:
            csv_written()
    return stored


def write_csv(result: GradingResult, path: Path) -> None:
    """``uscc,credit,risk,grade,p_violation,reasons`` (spec §7), one row per enterprise in
    USCC order; UTF-8 with a BOM so that Excel shows the Chinese reasons. Text cells are
    made safe for spreadsheets (:func:`safe_text`) and the file is written whole."""
    table = GradesCsv.of(result, ReasonTexts(result))
    with no_cyclic_gc(), written_whole(Path(path), "csv") as temp:
        table.write(temp)


@dataclass(frozen=True)
class GradesCsv:
    """What the grades CSV holds, as plain arrays: picklable, so that another process can
    write the file (see :func:`store_grades`)."""

    uscc: NDArray[np.str_]
    credit: NDArray[np.float64]
    risk: NDArray[np.float64]
    grade: NDArray[np.int64]
    p_violation: NDArray[np.float64]
    score_decimals: int
    reasons: ReasonCells

    @classmethod
    def of(cls, result: GradingResult, texts: ReasonTexts) -> "GradesCsv":
        return cls(
            uscc=result.inputs.uscc,
            credit=result.credit,
            risk=result.risk,
            grade=result.grade,
            p_violation=result.p_violation,
            score_decimals=result.config.grade.score_decimals,
            reasons=texts.cells,
        )

    def write(self, path: Path) -> None:
        """The whole file at ``path``, a slice of enterprises at a time: the bytes
        ``csv.writer`` would write (see ``data.exports.csv_fields``)."""
        reasons = _ReasonFields(self.reasons, EXCEL)
        score = f"{{:.{self.score_decimals}f}}"
        # Numbers need no quotes; formatted by the row's own format, in C.
        row = EXCEL.delimiter.join(["{}", score, score, "{}", f"{{:.{P_DECIMALS}f}}", "{}"])
        row += EXCEL.lineterminator
        with path.open("w", encoding="utf-8", newline="") as handle:
            # The BOM written by hand: the same bytes as encoding="utf-8-sig", whose
            # encoder is Python code called for every row, where UTF-8's is C.
            handle.write("\ufeff")
            handle.write(EXCEL.delimiter.join(map(EXCEL.field, CSV_HEADER)) + EXCEL.lineterminator)
            for start, stop in _slices(len(self.uscc)):
                handle.write(
                    "".join(
                        map(
                            row.format,
                            _text_fields(self.uscc[start:stop].tolist()),
                            self.credit[start:stop].tolist(),
                            self.risk[start:stop].tolist(),
                            [GRADES[g] for g in self.grade[start:stop].tolist()],
                            self.p_violation[start:stop].tolist(),
                            reasons.fields(start, stop),
                        )
                    )
                )


def _text_fields(values: list[str]) -> Iterable[str]:
    """Text cells as CSV fields, made safe for spreadsheets (:func:`safe_text`). USCCs,
    the column this is for, never need either: one look at the whole column says so."""
    whole = "".join(values)
    if EXCEL.needs_quotes(whole) or any(map(str.startswith, values, repeat(FORMULA_PREFIXES))):
        return [EXCEL.field(safe_text(v)) for v in values]
    return values


class _ReasonFields:
    """Each enterprise's reasons as the CSV field ``csv.writer`` would write for the cell
    ``safe_text(zh / en; zh / en …)``: quoted when any of its wordings (or the separators)
    holds a character the dialect quotes for, each wording escaped once."""

    def __init__(self, cells: ReasonCells, quoting: CsvQuoting) -> None:
        texts = [f"{zh}{LANGUAGE_SEPARATOR}{en}" for zh, en in cells.words]
        self.cells = cells
        self.quoting = quoting
        self.escaped = [quoting.escaped(t) for t in texts]
        self.join = quoting.escaped(REASON_SEPARATOR)
        special = np.array([quoting.needs_quotes(t) for t in texts], dtype=bool)
        formula = np.array([t.startswith(FORMULA_PREFIXES) for t in texts], dtype=bool)
        rows = cells.text_of_row
        # Per enterprise: how many of its wordings need quotes (a difference of running
        # counts), and whether its first wording would start a formula.
        count = np.concatenate([[0], np.cumsum(special[rows])])
        self.quoted = count[cells.bounds[1:]] > count[cells.bounds[:-1]]
        if quoting.needs_quotes(REASON_SEPARATOR):
            self.quoted |= np.diff(cells.bounds) > 1
        self.formula = np.zeros(len(cells.bounds) - 1, dtype=bool)
        if len(rows):
            first = rows[np.minimum(cells.bounds[:-1], len(rows) - 1)]
            self.formula = (np.diff(cells.bounds) > 0) & formula[first]

    def fields(self, start: int, stop: int) -> list[str]:
        bounds, escaped, quote = self.cells.bounds, self.escaped, self.quoting.quote
        lo, hi = int(bounds[start]), int(bounds[stop])
        pieces = [escaped[j] for j in self.cells.text_of_row[lo:hi].tolist()]
        ends = (bounds[start : stop + 1] - lo).tolist()
        cells = [self.join.join(pieces[a:b]) for a, b in itertools.pairwise(ends)]
        return [
            f"{quote}{safe}{cell}{quote}" if quoted else f"{safe}{cell}"
            for cell, quoted, safe in zip(
                cells,
                self.quoted[start:stop].tolist(),
                ["'" if f else "" for f in self.formula[start:stop].tolist()],
                strict=True,
            )
        ]


def _second_process(size: int) -> AbstractContextManager[ProcessPoolExecutor | None]:
    """A second process for a district of ``size`` enterprises, or None: do it all in
    this one (small districts).

    A district's CSV takes seconds, all of it holding the GIL, as does storing its grades:
    on two cores a second process writes the CSV and the two take the time of the longer.
    It gets the CSV's arrays, a few tens of megabytes. Before that, it reads the credit events
    (:mod:`jointinspect.grade_apart`).
    """
    return second_process(size >= SECOND_PROCESS_FROM, _imported, yielding=False)


def _imported() -> None:
    """Nothing: a process that runs it has imported this module."""


def _slices(size: int) -> Iterator[tuple[int, int]]:
    for start in range(0, size, OUTPUT_SLICE):
        yield start, min(start + OUTPUT_SLICE, size)


def grade_rows(
    result: GradingResult,
    texts: ReasonTexts,
    *,
    only: Collection[str] | None = None,
    whole: bool = False,
) -> GradeRows:
    """The rows of ``enterprise_grade`` (of the enterprises in ``only``, if given), made a
    slice at a time as they are asked for; ``whole``: ``result`` is a district's grading
    (:func:`grade_district`), whose rows replace the table's (``GradeRows.whole``)."""

    def rows(ids: Sequence[int]) -> Iterator[GradeRow]:
        def of_slice(start: int, stop: int) -> Iterator[GradeRow]:
            return zip(
                result.inputs.uscc[start:stop].tolist(),
                result.credit[start:stop].tolist(),
                result.risk[start:stop].tolist(),
                [GRADES[g] for g in result.grade[start:stop].tolist()],
                texts.stored(start, stop, ids),
                strict=True,
            )

        # Chained in C: no Python code runs per row.
        made = itertools.chain.from_iterable(
            itertools.starmap(of_slice, _slices(result.inputs.size))
        )
        return made if only is None else (row for row in made if row[0] in only)

    return GradeRows(texts.wordings, rows, whole=whole and only is None)


def evaluation_cutoff(
    *, engine: Engine, as_of: dt.date | None, config: GradingConfig
) -> tuple[dt.date, dt.date]:
    """(T, last inspection date): T defaults to ``holdout_days`` before the last inspection."""
    last = last_inspection_date(engine=engine)
    if last is None:
        raise NothingToEvaluateError(
            "there are no inspections to evaluate the grades against",
            hint="import history.csv or outcomes.csv first",
        )
    cutoff = as_of or last - dt.timedelta(days=config.evaluation.holdout_days)
    if cutoff >= last:
        raise NothingToEvaluateError(
            f"there are no inspections after {cutoff} (the last is on {last})",
            hint="choose an earlier --as-of",
        )
    return cutoff, last


def evaluate_district(
    *, engine: Engine, cutoff: dt.date, config: GradingConfig
) -> tuple[GradingResult, Evaluation]:
    """Grade as of ``cutoff`` from data up to it; score against inspections after it."""
    result = grade_district(engine=engine, as_of=cutoff, config=config)
    later = load_inspections(engine=engine, after=cutoff)
    number = {u: i for i, u in enumerate(result.inputs.uscc.tolist())}
    known = [k for k, u in enumerate(later["uscc"]) if u in number]
    ent = np.array([number[later["uscc"][k]] for k in known], dtype=np.int64)
    violation = np.array([later["result"][k] == "violation" for k in known], dtype=bool)
    return result, evaluate(
        result.grade, result.risk, ent, violation, config.evaluation, result.priority()
    )


def model_name(model_id: int | None) -> str:
    return "the shipped default" if model_id is None else f"learned model {model_id}"


def grade_and_store(
    *,
    engine: Engine,
    as_of: dt.date,
    options: Options | None = None,
    config: GradingConfig | None = None,
    model: GradingModel | None = None,
    out: Path | None = None,
) -> GradingResult:
    """Grade every enterprise as of ``as_of`` with ``model`` (default: the adopted one,
    else the shipped default) and ``config`` (default: the grading weights of
    ``options``), and store the grades; with ``out``, also write their CSV there, as
    :func:`store_grades` does. A district's second process starts before the district
    is read: it reads the credit events (:mod:`jointinspect.grade_apart`), then writes the CSV."""
    chosen = model or grading_model(engine=engine)
    weights = config or grading_config(options or Options())
    with ExitStack() as stack:
        # The CSV's place first (a wrong one fails before any work); the process ends
        # before the file is put in place.
        temp = None if out is None else stack.enter_context(written_whole(Path(out), "csv"))
        helper = stack.enter_context(_second_process(enterprise_count(engine=engine)))
        result = grade_district(
            engine=engine, as_of=as_of, config=weights, model=chosen, helper=helper
        )
        csv_file = None if temp is None else (temp, helper)
        _store(result, engine=engine, model_id=chosen.id, csv_file=csv_file)
    return result
