"""Validation of a whole bundle (spec §1): every problem found, nothing written.

Files are checked in foreign-key order, column by column rather than row by row: a column
is stripped and parsed once per distinct value (dates, industries, enums repeat a lot),
then mapped back onto the rows, so that 650,000 enterprises validate in seconds. Each
rule that looks at more than one cell is a function of its own below, named after it.

References are checked against the bundle first and then against the database (a later
import may carry only triggers.csv, say), so the database is read only when needed.
"""

import datetime as dt
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from jointinspect.data.bundle.csv_source import CsvTable, read_table
from jointinspect.data.bundle.errors import WHOLE_FILE, WHOLE_ROW, BundleInvalid, Problem
from jointinspect.data.bundle.known_keys import DatabaseKeys
from jointinspect.data.bundle.spec import (
    DRAWN_ID_PREFIX,
    FILES,
    FILES_BY_NAME,
    REF_FILES,
    REQUIRED_FILES,
    CellError,
    Column,
    FileSpec,
    Ref,
)
from jointinspect.models import uscc
from jointinspect.models.enums import DemandSource, ItemMode, TriggerKind

EMPTY_REQUIRED = "required value is empty; fill it in"
#: Sources that need the enterprise visited on site (spec §1: never with an off-site item).
_ONSITE_SOURCES = frozenset({DemandSource.FOLLOWUP.value, DemandSource.ACCIDENT.value})
_ONSITE_TRIGGER_KINDS = frozenset({TriggerKind.ACCIDENT.value})
_FILE_RANK = {spec.name: rank for rank, spec in enumerate(FILES)}
_COLUMN_RANK = {spec.name: {n: r for r, n in enumerate(spec.column_names)} for spec in FILES}


def _problem_order(problem: Problem) -> tuple[int, str, int, int]:
    """Files in foreign-key order, then lines, then columns in the order spec §1 lists them."""
    columns = _COLUMN_RANK.get(problem.file, {})
    return (
        _FILE_RANK.get(problem.file, len(FILES)),
        problem.file,
        problem.line,
        columns.get(problem.column, -1),
    )


@dataclass(frozen=True, slots=True)
class ImportProgress:
    """How far an import has got: ``done`` of ``total`` rows of ``file`` in ``phase``."""

    phase: str  # "validate" or "write"
    file: str
    done: int
    total: int


ProgressCallback = Callable[[ImportProgress], None]


@dataclass(slots=True)
class ParsedFile:
    """One validated file: typed values per column present in its header, row by row."""

    spec: FileSpec
    lines: list[int]
    columns: dict[str, list[Any]]
    size: int

    def has(self, *names: str) -> bool:
        return all(name in self.columns for name in names)


@dataclass(slots=True)
class ValidatedBundle:
    """Every file of a bundle that passed validation, in foreign-key order."""

    files: list[ParsedFile]
    warnings: list[Problem]
    #: Per file: (wall seconds, CPU seconds) spent reading and checking it.
    seconds: dict[str, tuple[float, float]] = field(default_factory=dict)


@dataclass(slots=True)
class _Findings:
    strict: bool
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def error(self, file: str, line: int, column: str, message: str) -> None:
        self.errors.append(Problem(file, line, column, message))

    def warn(self, file: str, line: int, column: str, message: str) -> None:
        self.warnings.append(Problem(file, line, column, message))

    def sorted(self, problems: list[Problem]) -> list[Problem]:
        # Stable: within a line, problems keep the order of the columns that found them.
        return sorted(problems, key=_problem_order)


class _References:
    """Keys the bundle defines, backed by what the database holds."""

    def __init__(self, db: DatabaseKeys) -> None:
        self.db = db
        #: Keys per kind from the bundle; None when the file's key column is missing, in
        #: which case references of that kind are not checked (to avoid a flood of
        #: follow-on errors from one missing header cell).
        self.bundle: dict[Ref, set[Any] | None] = {}
        self.bundle_items: dict[str, tuple[str | None, str | None]] = {}
        self.bundle_demand_ids: dict[str, int] = {}

    def missing(self, ref: Ref, values: set[Any]) -> set[Any] | None:
        """Values that neither the bundle nor the database knows (None: cannot tell)."""
        if ref in self.bundle and self.bundle[ref] is None:
            return None
        unknown = values - (self.bundle.get(ref) or set())
        if not unknown:
            return unknown
        if ref is Ref.DEPARTMENT:
            known: frozenset[object] | set[str] = self.db.departments()
        elif ref is Ref.ENTERPRISE:
            return unknown - self.db.known_enterprises(unknown)
        elif ref is Ref.INSPECTOR:
            known = self.db.inspectors()
        elif ref is Ref.ITEM:
            known = set(self.db.items())
        else:
            known = set(self.db.codes())
        return unknown - known

    def item(self, code: str) -> tuple[str | None, str | None] | None:
        """(department, mode) of an item, from the bundle or else the database."""
        found = self.bundle_items.get(code)
        if found is None:
            return self.db.items().get(code)
        return found


def _locate(values: Sequence[Any], wanted: set[Any] | dict[Any, Any]) -> Iterator[int]:
    """Indexes of the rows whose value is in ``wanted``."""
    return (i for i, value in enumerate(values) if value in wanted)


class _FileCheck:
    """The checks of one file, sharing its parsed columns and where to report."""

    def __init__(self, parsed: ParsedFile, findings: _Findings, refs: _References) -> None:
        self.parsed = parsed
        self.name = parsed.spec.name
        self.lines = parsed.lines
        self.cols = parsed.columns
        self.findings = findings
        self.refs = refs

    def error(self, index: int, column: str, message: str) -> None:
        self.findings.error(self.name, self.lines[index], column, message)

    def warn(self, index: int, column: str, message: str) -> None:
        self.findings.warn(self.name, self.lines[index], column, message)


def _header(table: CsvTable, spec: FileSpec, findings: _Findings) -> dict[str, int]:
    """Column name → position of the known columns; header problems are reported."""
    positions: dict[str, int] = {}
    known = set(spec.column_names)
    for position, name in enumerate(table.header):
        if not name:
            findings.warn(
                spec.name, 1, WHOLE_ROW, f"column {position + 1} has no name; it is ignored"
            )
        elif name in positions:
            findings.error(spec.name, 1, name, "the column appears twice; keep only one")
        elif name not in known:
            findings.warn(
                spec.name,
                1,
                name,
                f"unknown column, ignored (columns of {spec.name}: {', '.join(spec.column_names)})",
            )
        else:
            positions[name] = position
    for col in spec.columns:
        if col.required and col.name not in positions:
            findings.error(
                spec.name,
                1,
                col.name,
                f'required column is missing; add a "{col.name}" column to the header',
            )
    return positions


def _rows_of_right_width(table: CsvTable, findings: _Findings) -> tuple[list[list[str]], list[int]]:
    """Rows with as many cells as the header; the others are reported and left out."""
    width = len(table.header)
    rows, lines = table.rows, table.lines
    if set(map(len, rows)) <= {width}:
        return rows, lines
    kept_rows: list[list[str]] = []
    kept_lines: list[int] = []
    for row, line in zip(rows, lines, strict=True):
        if len(row) == width:
            kept_rows.append(row)
            kept_lines.append(line)
        else:
            findings.error(
                table.name,
                line,
                WHOLE_ROW,
                f"the row has {len(row)} cells but the header has {width}; check for a"
                " missing or extra comma, or quote a cell that contains a comma",
            )
    return kept_rows, kept_lines


def _parse_column(
    raw: Sequence[str], col: Column, max_length: int | None, check: _FileCheck
) -> list[Any]:
    """The typed values of one column; bad and empty required cells are reported."""
    stripped = list(map(str.strip, raw))
    bad: dict[str, str] = {}
    values: list[Any] | None = None
    if col.parse is None:
        values = stripped
        if "" in stripped:
            if col.required:
                bad[""] = EMPTY_REQUIRED
            else:
                values = [value or col.default for value in stripped]
        if max_length is not None and stripped and max(map(len, stripped)) > max_length:
            _too_long(set(stripped), max_length, bad)
    else:
        batch = getattr(col.parse, "batch", None)
        if batch is not None and "" not in stripped:
            # Mostly distinct values (coordinates): one pass over the column, no set.
            values = batch(stripped)  # None when some value is bad: found one by one below
        if values is None:
            distinct = set(stripped)
            values = _parse_distinct(stripped, distinct, col, bad)
            if max_length is not None:
                _too_long(distinct, max_length, bad)
    if bad:
        for index in _locate(stripped, bad):
            check.error(index, col.name, bad[stripped[index]])
    return values


def _too_long(distinct: set[str], max_length: int, bad: dict[str, str]) -> None:
    for value in distinct:
        if len(value) > max_length and value not in bad:
            bad[value] = (
                f"{value[:40]!r}… is {len(value)} characters long; at most {max_length} are allowed"
            )


def _parse_distinct(
    stripped: list[str], distinct: set[str], col: Column, bad: dict[str, str]
) -> list[Any]:
    """Parse each distinct value once (dates, enums and codes repeat a lot), then map."""
    assert col.parse is not None
    parsed: dict[str, Any] = {}
    for value in distinct:
        if not value:
            if col.required:
                bad[value] = EMPTY_REQUIRED
            parsed[value] = col.default
            continue
        try:
            parsed[value] = col.parse(value)
        except CellError as exc:
            bad[value] = str(exc)
            parsed[value] = None
    if getattr(col.parse, "keeps_text", False) and not bad and "" not in distinct:
        return stripped  # every value is its own parse: no need to map
    return list(map(parsed.__getitem__, stripped))


def _max_length(spec: FileSpec, name: str) -> int | None:
    length = getattr(spec.table.c[name].type, "length", None)
    return length if isinstance(length, int) else None


def _parse_file(
    table: CsvTable, spec: FileSpec, findings: _Findings, refs: _References
) -> ParsedFile:
    positions = _header(table, spec, findings)
    rows, lines = _rows_of_right_width(table, findings)
    parsed = ParsedFile(spec, lines, {}, len(rows))
    check = _FileCheck(parsed, findings, refs)
    by_position = list(zip(*rows, strict=True)) if rows else [() for _ in table.header]
    table.rows = []  # the raw cells are no longer needed; let them go as columns are parsed
    del rows
    for col in spec.columns:
        if col.name in positions:
            raw = by_position[positions[col.name]]
            by_position[positions[col.name]] = ()
            parsed.columns[col.name] = _parse_column(raw, col, _max_length(spec, col.name), check)
    return parsed


# --- rules that look at one file's own key -------------------------------------------------


def duplicate_keys(check: _FileCheck) -> None:
    """A key appears at most once in a file (spec §1: rows are upserted by key)."""
    spec = check.parsed.spec
    if not check.parsed.has(*spec.key):
        return
    keys: Sequence[Any]
    if len(spec.key) == 1:
        keys = check.cols[spec.key[0]]
    else:
        keys = list(zip(*(check.cols[name] for name in spec.key), strict=True))
    if len(set(keys)) == len(keys):
        return
    first: dict[Any, int] = {}
    for index, key in enumerate(keys):
        if not key or (isinstance(key, tuple) and (None in key or "" in key)):
            continue  # already reported as empty or bad
        if key in first:
            shown = (
                repr(key)
                if len(spec.key) == 1
                else ", ".join(f"{n}={v}" for n, v in zip(spec.key, key, strict=True))
            )
            check.error(
                index,
                spec.key[0],
                f"duplicate key {shown}: already on line {check.lines[first[key]]};"
                " each key may appear only once in a file — merge or remove one of the rows",
            )
        else:
            first[key] = index


def uscc_form(check: _FileCheck) -> None:
    """A USCC has 18 characters from the GB 32100 set (fatal) and a right check character
    (a warning, since registries hold early codes; an error under ``--strict``)."""
    for col in check.parsed.spec.columns:
        if col.uscc_key and col.name in check.cols:
            values = check.cols[col.name]
            for index, problem in _uscc_problems(values).items():
                if problem.fatal:
                    check.error(index, col.name, f"{problem.message}; correct the code")
                elif check.findings.strict:
                    check.error(
                        index,
                        col.name,
                        f"{problem.message}; correct the code (import --strict refuses a"
                        " wrong check character)",
                    )
                else:
                    check.warn(
                        index,
                        col.name,
                        f"{problem.message}; imported as given (early codes predate the"
                        " standard; import --strict refuses it)",
                    )


#: Character value of each byte under GB 32100; 255 for bytes outside the set.
_USCC_VALUE = np.full(256, 255, dtype=np.uint8)
for _value, _char in enumerate(uscc.CHARSET):
    _USCC_VALUE[ord(_char)] = _value
_USCC_WEIGHTS = np.array(uscc.WEIGHTS, dtype=np.int64)


def _uscc_problems(values: Sequence[str | None]) -> dict[int, uscc.UsccProblem]:
    """Row index → problem, for every non-empty value that is not a valid USCC.

    The check characters of all 18-character values are computed at once with numpy;
    only the suspects go through ``models.uscc.validate`` for their message.
    """
    if None in values or "" in values:
        present = [i for i, value in enumerate(values) if value]
    else:
        present = list(range(len(values)))
    texts: list[str] = [values[i] or "" for i in present]
    if set(map(len, texts)) <= {uscc.LENGTH}:  # the usual case: every code has 18 characters
        candidates, suspects = present, set()
    else:
        candidates = [i for i in present if len(values[i] or "") == uscc.LENGTH]
        suspects = set(present) - set(candidates)
        texts = [values[i] or "" for i in candidates]
    if candidates:
        raw = np.frombuffer("".join(texts).encode("ascii", "replace"), dtype=np.uint8)
        codes = _USCC_VALUE[raw.reshape(-1, uscc.LENGTH)]
        invalid = (codes == 255).any(axis=1)
        total = codes[:, : uscc.LENGTH - 1].astype(np.int64) @ _USCC_WEIGHTS
        expected = (31 - total % 31) % 31
        wrong = invalid | (expected != codes[:, uscc.LENGTH - 1])
        suspects.update(candidates[i] for i in np.flatnonzero(wrong).tolist())
    found: dict[int, uscc.UsccProblem] = {}
    for index in sorted(suspects):
        problem = uscc.validate(values[index] or "")
        if problem is not None:
            found[index] = problem
    return found


# --- rules that look across files -----------------------------------------------------------


def known_references(check: _FileCheck) -> None:
    """Every department / enterprise / item / inspector / code a row names exists, in this
    bundle or in the database."""
    for col in check.parsed.spec.columns:
        if col.ref is None or col.name not in check.cols:
            continue
        values = check.cols[col.name]
        missing = check.refs.missing(col.ref, set(values) - {None, ""})
        if not missing:
            continue
        where = (
            f"not in {REF_FILES[col.ref]} nor in the database"
            if col.ref in REF_FILES
            else "no filed plan has issued it (codes come from `jointinspect file`)"
        )
        fix = (
            f"add it to {REF_FILES[col.ref]} or correct the value"
            if col.ref in REF_FILES
            else "check the code for typos"
        )
        for index in _locate(values, missing):
            check.error(index, col.name, f"unknown {col.ref} {values[index]!r}: {where}; {fix}")


def item_of_rows_department(check: _FileCheck) -> None:
    """An item named on a row belongs to the row's department."""
    if not check.parsed.has("department", "item"):
        return
    departments, items = check.cols["department"], check.cols["item"]
    for index, (department, item) in enumerate(zip(departments, items, strict=True)):
        if not department or not item:
            continue
        info = check.refs.item(item)
        if info is not None and info[0] is not None and info[0] != department:
            check.error(
                index,
                "item",
                f"item {item!r} belongs to department {info[0]!r}, not {department!r};"
                f" name an item of {department!r} or correct the department",
            )


def _offsite(check: _FileCheck, item: str | None) -> bool:
    info = check.refs.item(item) if item is not None else None
    return info is not None and info[1] == ItemMode.OFFSITE.value


def offsite_item_not_required_onsite(check: _FileCheck) -> None:
    """An item of mode ``offsite`` is never marked ``onsite_required`` on a demand."""
    if not check.parsed.has("item", "onsite_required"):
        return
    for index, (item, required) in enumerate(
        zip(check.cols["item"], check.cols["onsite_required"], strict=True)
    ):
        if required and _offsite(check, item):
            check.error(
                index,
                "onsite_required",
                f"item {item!r} is done off-site only (mode offsite) and cannot be required"
                " on site; set onsite_required to 0 or name an on-site item",
            )


def offsite_item_not_for_onsite_source(check: _FileCheck) -> None:
    """A ``followup`` or ``accident`` demand or trigger never names an off-site-only item."""
    column = "source" if check.parsed.spec.name == "demands.csv" else "kind"
    wanted = _ONSITE_SOURCES if column == "source" else _ONSITE_TRIGGER_KINDS
    if not check.parsed.has("item", column):
        return
    for index, (item, source) in enumerate(
        zip(check.cols["item"], check.cols[column], strict=True)
    ):
        if source in wanted and _offsite(check, item):
            check.error(
                index,
                "item",
                f"item {item!r} is done off-site only (mode offsite), but a {source!r}"
                f" {'demand' if column == 'source' else 'trigger'} needs an on-site visit;"
                " name an on-site item (mode onsite or either)",
            )


def window_in_order(check: _FileCheck, start: str, end: str) -> None:
    """A window's start is not after its end (``earliest``/``latest``, ``since``/``until``)."""
    if not check.parsed.has(start, end):
        return
    for index, (first, last) in enumerate(zip(check.cols[start], check.cols[end], strict=True)):
        if isinstance(first, dt.date) and isinstance(last, dt.date) and first > last:
            check.error(
                index,
                start,
                f"{start} {first.isoformat()} is after {end} {last.isoformat()};"
                " swap them or correct one",
            )


def no_disturb_window_in_order(check: _FileCheck) -> None:
    """A no-disturb entry's ``since`` is not after its ``until``."""
    window_in_order(check, "since", "until")


def demand_window_in_order(check: _FileCheck) -> None:
    """Spec §1: ``earliest > latest`` is an error."""
    window_in_order(check, "earliest", "latest")


def ids_not_drawn(check: _FileCheck) -> None:
    """Ids starting with ``R:`` are reserved for drawn demands (spec §2)."""
    if not check.parsed.has("id"):
        return
    for index, value in enumerate(check.cols["id"]):
        if value and value.startswith(DRAWN_ID_PREFIX):
            check.error(
                index,
                "id",
                f"id {value!r} starts with {DRAWN_ID_PREFIX!r}, which is reserved for"
                " demands made by the random draw; choose another id",
            )


def demand_source_not_random(check: _FileCheck) -> None:
    """``random`` demands are made by the draw, never given in demands.csv."""
    if not check.parsed.has("source"):
        return
    for index in _locate(check.cols["source"], {DemandSource.RANDOM.value}):
        check.error(
            index,
            "source",
            "source 'random' is reserved for demands made by the random draw (双随机);"
            " use plan, key, license, complaint, alert, accident, referral or followup",
        )


def demand_ids_unique_across_files(check: _FileCheck) -> None:
    """A demand id is used once across demands.csv and triggers.csv (and their tables)."""
    if not check.parsed.has("id"):
        return
    ids = check.cols["id"]
    own_file = check.parsed.spec.name
    if own_file == "demands.csv":
        check.refs.bundle_demand_ids = {
            value: check.lines[i] for i, value in enumerate(ids) if value
        }
        other = (
            check.refs.db.trigger_ids()
            if not check.refs.db.is_empty(FILES_BY_NAME["triggers.csv"].table)
            else frozenset()
        )
        for index in _locate(ids, set(other)):
            check.error(
                index,
                "id",
                f"id {ids[index]!r} is already a trigger's id in the database; demand ids are"
                " shared by demands and triggers — choose another id",
            )
        return
    in_bundle = check.refs.bundle_demand_ids
    in_db = (
        check.refs.db.demand_ids()
        if not check.refs.db.is_empty(FILES_BY_NAME["demands.csv"].table)
        else frozenset()
    )
    for index, value in enumerate(ids):
        if value in in_bundle:
            check.error(
                index,
                "id",
                f"id {value!r} is also used in demands.csv line {in_bundle[value]}; a trigger"
                " becomes a demand with its own id, so choose an id no demand has",
            )
        elif value in in_db:
            check.error(
                index,
                "id",
                f"id {value!r} is already a demand's id in the database; a trigger becomes a"
                " demand with its own id, so choose an id no demand has",
            )


def credit_event_department_known(check: _FileCheck) -> None:
    """The issuing department of a credit event is usually one of the district's; courts
    and the tax bureau are not, so an unknown one is a warning only."""
    if not check.parsed.has("department"):
        return
    values = check.cols["department"]
    missing = check.refs.missing(Ref.DEPARTMENT, set(values) - {None, ""})
    for index in _locate(values, missing or set()):
        check.warn(
            index,
            "department",
            f"department {values[index]!r} is not in departments.csv nor in the database;"
            " kept as the issuing authority's name",
        )


def codes_current(check: _FileCheck) -> None:
    """An outcome or feedback names a code that is still valid; a revoked code is kept
    with a warning (the inspection may have happened before the replan), an error under
    ``--strict``."""
    if not check.parsed.has("code"):
        return
    codes = check.cols["code"]
    issued = check.refs.db.codes()
    for index, code in enumerate(codes):
        status = issued.get(code) if code is not None else None
        if status is None or status[0] != "revoked":
            continue
        replaced = f", replaced by {status[1]!r}" if status[1] else ""
        message = f"inspection code {code!r} was revoked by a replan{replaced}"
        if check.findings.strict:
            check.error(index, "code", f"{message}; record the result against the new code")
        else:
            check.warn(index, "code", f"{message}; the row is imported as given")


def outcome_item_was_planned(check: _FileCheck) -> None:
    """An outcome's item is one the code's visit or off-site check was planned for; another
    item is kept with a warning (officers may find what they were not sent for)."""
    if not check.parsed.has("code", "item"):
        return
    codes, items = check.cols["code"], check.cols["item"]
    issued = check.refs.db.codes()
    wanted = {code for code in codes if code in issued}
    planned = check.refs.db.items_of_codes(wanted) if wanted else {}
    for index, (code, item) in enumerate(zip(codes, items, strict=True)):
        if code in planned and item is not None and item not in planned[code]:
            check.warn(
                index,
                "item",
                f"item {item!r} was not planned for code {code!r}"
                f" (planned: {', '.join(sorted(planned[code]))}); imported as given",
            )


_RULES: dict[str, tuple[Callable[[_FileCheck], None], ...]] = {
    "enterprises.csv": (uscc_form,),
    "credit_events.csv": (credit_event_department_known,),
    "no_disturb.csv": (no_disturb_window_in_order,),
    "demands.csv": (
        ids_not_drawn,
        demand_source_not_random,
        demand_window_in_order,
        offsite_item_not_required_onsite,
        offsite_item_not_for_onsite_source,
        demand_ids_unique_across_files,
    ),
    "triggers.csv": (
        ids_not_drawn,
        offsite_item_not_for_onsite_source,
        demand_ids_unique_across_files,
    ),
    "outcomes.csv": (codes_current, outcome_item_was_planned),
    "feedback.csv": (codes_current,),
}


def _remember_keys(parsed: ParsedFile, refs: _References) -> None:
    """Make this file's keys known to the files below it."""
    name = parsed.spec.name
    for ref, file in REF_FILES.items():
        if file == name:
            key = parsed.spec.key[0]
            refs.bundle[ref] = {v for v in parsed.columns[key] if v} if parsed.has(key) else None
    if name == "items.csv" and parsed.has("code"):
        departments = parsed.columns.get("department", [None] * parsed.size)
        modes = parsed.columns.get("mode", [None] * parsed.size)
        refs.bundle_items = {
            code: (department, mode)
            for code, department, mode in zip(
                parsed.columns["code"], departments, modes, strict=True
            )
            if code is not None
        }


def _bundle_files(bundle_dir: Path, findings: _Findings) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in sorted(bundle_dir.iterdir()):
        if not path.is_file() or path.suffix.lower() != ".csv":
            continue
        if path.name in FILES_BY_NAME:
            found[path.name] = path
        else:
            findings.warn(
                path.name,
                WHOLE_FILE,
                WHOLE_ROW,
                "unknown file, ignored (bundle files are named as in spec §1, e.g."
                " enterprises.csv)",
            )
    return found


def _first_import_complete(found: dict[str, Path], db: DatabaseKeys, findings: _Findings) -> None:
    """The first import into an empty database holds the four required files."""
    if not all(db.is_empty(FILES_BY_NAME[name].table) for name in REQUIRED_FILES):
        return
    for name in REQUIRED_FILES:
        if name not in found:
            findings.error(
                name,
                WHOLE_FILE,
                WHOLE_ROW,
                "the file is missing; the first import into an empty database needs "
                + ", ".join(REQUIRED_FILES),
            )


def validate_bundle(
    bundle_dir: Path,
    *,
    db: DatabaseKeys,
    strict: bool = False,
    progress: ProgressCallback | None = None,
) -> ValidatedBundle:
    """Read and check every file of ``bundle_dir``; raise ``BundleInvalid`` listing every
    problem if any, else return the typed rows ready to be written."""
    findings = _Findings(strict)
    refs = _References(db)
    found = _bundle_files(bundle_dir, findings)
    _first_import_complete(found, db, findings)
    parsed_files: list[ParsedFile] = []
    seconds: dict[str, tuple[float, float]] = {}
    for spec in FILES:
        if spec.name not in found:
            continue
        started, cpu_started = time.perf_counter(), time.process_time()
        table = read_table(found[spec.name], findings.errors)
        if table is None:
            refs.bundle.update({ref: None for ref, f in REF_FILES.items() if f == spec.name})
            continue
        parsed = _parse_file(table, spec, findings, refs)
        del table
        check = _FileCheck(parsed, findings, refs)
        duplicate_keys(check)
        known_references(check)
        item_of_rows_department(check)
        for rule in _RULES.get(spec.name, ()):
            rule(check)
        _remember_keys(parsed, refs)
        parsed_files.append(parsed)
        seconds[spec.name] = (
            time.perf_counter() - started,
            time.process_time() - cpu_started,
        )
        if progress is not None:
            progress(ImportProgress("validate", spec.name, parsed.size, parsed.size))
    if findings.errors:
        raise BundleInvalid(findings.sorted(findings.errors), findings.sorted(findings.warnings))
    return ValidatedBundle(parsed_files, findings.sorted(findings.warnings), seconds)
